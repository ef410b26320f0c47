"""Small helpers shared by the SDK: ids, wire timestamps and JSON-safe copies of user values.

Everything here runs on the agent's thread, so it is kept cheap and never raises.
"""

import json
import math
import random
import reprlib
import time
from typing import Any, Optional

# Strings longer than this are cut before they are queued: an event payload must stay well under the
# server's 256 KiB limit (docs/api.md#limits) and a prompt is rarely useful beyond this length for detection.
MAX_STRING_CHARS = 32_000
# Containers are cut to this many items and this depth; the server refuses nesting deeper than 64.
MAX_ITEMS = 100
MAX_DEPTH = 8
# result_summary, exception_message and other one-line summaries.
MAX_SUMMARY_CHARS = 1_000
# result_text: a tool's whole result, so the server's detectors read an injection placed anywhere
# in a retrieved document; bounded in bytes to leave most of an event's 256 KiB to the rest.
MAX_RESULT_TEXT_BYTES = 16 * 1024

# An execution's `name` (the server refuses longer ones and control characters).
MAX_NAME_BYTES = 200
# An execution's `halt_reason` (the server refuses longer ones).
MAX_REASON_BYTES = 1024

_INT64_MAX = 2**63 - 1

_repr = reprlib.Repr()
_repr.maxstring = MAX_SUMMARY_CHARS
_repr.maxother = MAX_SUMMARY_CHARS
_repr.maxlong = 100


def new_id(prefix: str) -> str:
    """``prefix`` + 12 lowercase hex characters (``exec-``/``evt-`` ids, docs/protocol.md#what-mesedi-sdks-send).

    48 random bits from ``random`` (seeded from the OS, re-seeded after fork): ids must be unique,
    not secret, and this runs on the agent's thread for every event.
    """
    return "%s%012x" % (prefix, _getrandbits(48))


_getrandbits = random.getrandbits
# (second, "YYYY-MM-DDTHH:MM:SS") of the last timestamp: formatting a date is the costly part, and
# most timestamps fall in the same second as the previous one. Replaced whole, so threads are safe.
_second_cache = (-1, "")


def utc_timestamp(epoch_seconds: Optional[float] = None) -> str:
    """``YYYY-MM-DDTHH:MM:SS.mmmZ`` for ``epoch_seconds`` (default: now)."""
    global _second_cache
    if epoch_seconds is None:
        epoch_seconds = time.time()
    seconds, millis = divmod(int(epoch_seconds * 1000), 1000)
    cached_second, prefix = _second_cache
    if cached_second != seconds:
        prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
        _second_cache = (seconds, prefix)
    return "%s.%03dZ" % (prefix, millis)


def truncate(text: str, limit: int = MAX_SUMMARY_CHARS) -> str:
    if len(text) <= limit:
        return text
    return text[: max(0, limit - 3)] + "..."


def execution_name(name: Any) -> Optional[str]:
    """``name`` as the execution's wire ``name``: control characters dropped, cut to 200 UTF-8 bytes
    at a character boundary; None when nothing is left or it is not a string."""
    if not isinstance(name, str):
        return None
    clean = "".join(c for c in name if c >= " " and c != "\x7f")
    raw = clean.encode("utf-8")
    if len(raw) > MAX_NAME_BYTES:
        clean = raw[:MAX_NAME_BYTES].decode("utf-8", "ignore")
    return clean.strip() or None


def summarize(value: Any, limit: int = MAX_SUMMARY_CHARS) -> str:
    """A one-line text for ``value``: strings as they are, anything else through a size-bounded repr."""
    try:
        if isinstance(value, str):
            return truncate(value, limit)
        return truncate(_repr.repr(value), limit)
    except Exception:  # a user __repr__ may raise; telemetry must not
        return "<unrepresentable %s>" % type(value).__name__


def cut_utf8(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` bytes of UTF-8, at a character boundary."""
    if len(text) * 4 <= limit:
        return text
    raw = text.encode("utf-8", "replace")
    return text if len(raw) <= limit else raw[:limit].decode("utf-8", "ignore")


def result_text(value: Any, limit: int = MAX_RESULT_TEXT_BYTES) -> str:
    """The text of a tool's result: a string as it is, anything else as (bounded) JSON, else its
    repr; at most ``limit`` bytes."""
    try:
        if not isinstance(value, str):
            try:
                value = json.dumps(jsonable(value), ensure_ascii=False)
            except (TypeError, ValueError):
                value = summarize(value, limit)
        return cut_utf8(value, limit)
    except Exception:  # a user __repr__ may raise; telemetry must not
        return "<unrepresentable %s>" % type(value).__name__


def jsonable(value: Any, depth: int = 0) -> Any:
    """A JSON-safe copy of ``value``: bounded strings, containers and depth; non-finite floats become
    ``None``; integers outside int64 and unknown objects become their (bounded) repr.

    The copy is taken on the caller's thread so later mutation of the user's objects cannot change
    what is sent.
    """
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if -_INT64_MAX - 1 <= value <= _INT64_MAX else str(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        return truncate(value, MAX_STRING_CHARS)
    if depth >= MAX_DEPTH:
        return summarize(value)
    if isinstance(value, dict):
        out = {}
        for i, (k, v) in enumerate(value.items()):
            if i >= MAX_ITEMS:
                out["..."] = "%d more" % (len(value) - MAX_ITEMS)
                break
            out[k if isinstance(k, str) else summarize(k, 200)] = jsonable(v, depth + 1)
        return out
    if isinstance(value, (list, tuple, set, frozenset)):
        items = list(value)
        out_list = [jsonable(v, depth + 1) for v in items[:MAX_ITEMS]]
        if len(items) > MAX_ITEMS:
            out_list.append("... %d more" % (len(items) - MAX_ITEMS))
        return out_list
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "<%d bytes>" % len(value)
    return summarize(value)
