"""Per-execution budgets (docs/protocol.md#what-vigils-sdks-send): enforced locally, and sent as the execution's ``budget``."""

import math
from dataclasses import dataclass
from typing import Any, Dict, Optional


@dataclass(frozen=True)
class Budget:
    """Limits for one execution. Every field is optional; ``None`` means no limit.

    * ``max_wall_clock_seconds`` — elapsed time since the execution started (trigger ``wall_clock``).
    * ``max_steps`` — number of ``llm_call`` events (trigger ``step_count``): the agent may make
      ``max_steps`` LLM calls; the next one halts.
    * ``max_tokens_in`` / ``max_tokens_out`` — summed input / output tokens (trigger ``token_total``).
    * ``max_cost_usd`` — summed estimated cost from the price table (trigger ``cost``).
    * ``auto_halt`` — when set, asks the server to halt this execution itself on a loop or
      cost-velocity finding (docs/detection.md#per-execution-budgets/docs/detection.md#auto-halt); the halt then arrives over the halt stream.

    A limit is exceeded when the running total goes *over* it, and the halt is raised at the next SDK
    call point (see :class:`vigil.VigilHalt`).
    """

    max_wall_clock_seconds: Optional[float] = None
    max_steps: Optional[int] = None
    max_tokens_in: Optional[int] = None
    max_tokens_out: Optional[int] = None
    max_cost_usd: Optional[float] = None
    auto_halt: Optional[bool] = None

    def __post_init__(self) -> None:
        for name in ("max_wall_clock_seconds", "max_steps", "max_tokens_in", "max_tokens_out",
                     "max_cost_usd"):
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TypeError("Budget.%s must be a number, got %r" % (name, value))
            if not math.isfinite(value) or value < 0:
                raise ValueError("Budget.%s must be a finite number >= 0, got %r" % (name, value))
        for name in ("max_steps", "max_tokens_in", "max_tokens_out"):
            value = getattr(self, name)
            if value is not None and value != int(value):
                raise ValueError("Budget.%s must be a whole number, got %r" % (name, value))

    def to_wire(self) -> Dict[str, Any]:
        """The execution ``budget`` object of docs/detection.md#per-execution-budgets, absent limits omitted."""
        wire: Dict[str, Any] = {}
        if self.max_wall_clock_seconds is not None:
            wire["max_duration_ms"] = int(round(self.max_wall_clock_seconds * 1000))
        if self.max_steps is not None:
            wire["max_llm_calls"] = int(self.max_steps)
        if self.max_cost_usd is not None:
            wire["max_cost_usd"] = float(self.max_cost_usd)
        if self.auto_halt is not None:
            wire["auto_halt"] = bool(self.auto_halt)
        return wire
