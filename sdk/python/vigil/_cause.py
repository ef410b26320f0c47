"""The `exception` event sent on a crash (docs/protocol.md#exception-events): the exception's type,
message and stack, innermost frame last, cut to the bounds the server checks."""

import collections
import traceback
from typing import Any, Dict

from ._util import cut_utf8

MAX_TYPE_BYTES = 256
MAX_MESSAGE_BYTES = 8 * 1024
MAX_FRAMES = 64
MAX_FRAME_FIELD_BYTES = 1024


def exception_payload(exc: BaseException) -> Dict[str, Any]:
    """The payload of the `exception` event for ``exc``. Reads code objects only (no source files
    are opened on the agent's thread) and keeps the innermost ``MAX_FRAMES`` frames."""
    frames: "collections.deque[Dict[str, Any]]" = collections.deque(maxlen=MAX_FRAMES)
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        code = frame.f_code
        entry: Dict[str, Any] = {
            "file": cut_utf8(code.co_filename or "", MAX_FRAME_FIELD_BYTES),
            "function": cut_utf8(getattr(code, "co_qualname", code.co_name), MAX_FRAME_FIELD_BYTES),
        }
        if lineno:
            entry["line"] = int(lineno)
        frames.append(entry)
    try:
        message = str(exc)
    except Exception:  # a user __str__ may raise; telemetry must not
        message = "<unprintable %s>" % type(exc).__name__
    return {
        "exception_type": cut_utf8(type(exc).__name__, MAX_TYPE_BYTES) or "Exception",
        "exception_message": cut_utf8(message, MAX_MESSAGE_BYTES),
        "frames": list(frames),
    }
