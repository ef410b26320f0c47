"""The protocol's wire vocabulary under the Mesedi SDK's names: the event types and execution statuses
of docs/protocol.md, and an event as ``POST /events`` carries it, for sending events by hand through
:class:`MesediClient`."""

import enum
from dataclasses import dataclass, field
from typing import Any, Dict, Optional

from ._util import jsonable, new_id, utc_timestamp


class EventType(str, enum.Enum):
    """The event types that have a meaning (docs/protocol.md#event-types-and-payloads). A ``str``, so
    ``EventType.LLM_CALL == "llm_call"``; the server also keeps any other type."""

    LLM_CALL = "llm_call"
    TOOL_CALL = "tool_call"
    CHECKPOINT = "checkpoint"
    EXCEPTION = "exception"
    VALIDATOR_RESULT = "validator_result"
    DRIFT_SIGNAL = "drift_signal"
    INJECTION_ALERT = "injection_alert"

    def __str__(self) -> str:
        return self.value


class Status(str, enum.Enum):
    """Execution statuses (docs/protocol.md#execution-fields); every one but STARTED is terminal."""

    STARTED = "started"
    COMPLETED = "completed"
    CRASHED = "crashed"
    HALTED = "halted"
    TIMEOUT = "timeout"
    VALIDATION_FAILED = "validation_failed"

    def __str__(self) -> str:
        return self.value

    @property
    def terminal(self) -> bool:
        return self is not Status.STARTED


@dataclass
class Event:
    """One element of a ``POST /events`` body (docs/protocol.md#events). ``event_id`` and
    ``timestamp`` default to a fresh id and the current time."""

    execution_id: str
    event_type: str
    payload: Any = None
    sequence: int = 0
    duration_ms: Optional[int] = None
    event_id: str = field(default_factory=lambda: new_id("evt-"))
    timestamp: str = field(default_factory=utc_timestamp)

    def to_dict(self) -> Dict[str, Any]:
        """The JSON object sent on the wire (``duration_ms`` only when set), with a JSON-safe copy of
        the payload taken now."""
        body: Dict[str, Any] = {
            "event_id": self.event_id,
            "execution_id": self.execution_id,
            "event_type": str(self.event_type),
            "sequence": self.sequence,
            "timestamp": self.timestamp,
        }
        if self.duration_ms is not None:
            body["duration_ms"] = self.duration_ms
        body["payload"] = jsonable(self.payload)
        return body
