"""``context_sha256``: the identity of one LLM request (the protocol extension of docs/protocol.md).

SHA-256, as lower-case hex, of the RFC 8785 (JSON Canonicalization Scheme) text of
``{"model": ..., "messages": [...], "tools": [...]}``: every input message of the request, system
messages and tool results included, and the declared tools. Two calls with the same digest sent the
model exactly the same input, which is how the server tells a loop from a multi-step run that keeps
its last user message. The TypeScript SDK computes the same digest; both test suites check
``sdk/context_vectors.json``.
"""

import hashlib
import json
import math
import re
from decimal import Decimal
from typing import Any

# The form the server accepts; anything else would be ignored there, so it is not sent.
_CONTEXT_SHA256 = re.compile(r"[0-9a-f]{64}")
# Deeper structures are not LLM requests; refusing them stops a cycle from recursing forever.
_MAX_DEPTH = 64
# Integers beyond this lose precision as IEEE doubles, which is what RFC 8785 numbers are.
_MAX_EXACT_INT = 2**53


def _number(value: float) -> str:
    """ECMAScript Number.prototype.toString of ``value``, as RFC 8785 requires."""
    if not math.isfinite(value):
        raise ValueError("RFC 8785 has no representation for %r" % value)
    if value == 0:
        return "0"  # -0 too
    sign = "-" if value < 0 else ""
    # repr() gives the shortest digits that round-trip, as ECMAScript does; only the layout differs.
    digits_tuple, exponent = Decimal(repr(abs(value))).as_tuple()[1:]
    digits = "".join(map(str, digits_tuple)).rstrip("0") or "0"
    k = len(digits)
    n = exponent + len("".join(map(str, digits_tuple)))  # value = 0.digits x 10^n
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * -n + digits
    e = n - 1
    mantissa = digits if k == 1 else digits[0] + "." + digits[1:]
    return "%s%se%s%d" % (sign, mantissa, "+" if e > 0 else "-", abs(e))


def _plain(value: Any) -> Any:
    """Client-library objects (typed messages, pydantic models) as plain JSON data."""
    for method in ("model_dump", "to_dict"):
        convert = getattr(value, method, None)
        if callable(convert):
            return convert(mode="json") if method == "model_dump" else convert()
    raise TypeError("not JSON data: %s" % type(value).__name__)


def _key(key: Any) -> str:
    if isinstance(key, str):
        return key
    if key is None or isinstance(key, (bool, int, float)):
        return _canonical(key, 0)  # as json.dumps turns such keys into strings
    raise TypeError("not a JSON object key: %r" % (key,))


def _canonical(value: Any, depth: int) -> str:
    if depth > _MAX_DEPTH:
        raise ValueError("structure deeper than %d" % _MAX_DEPTH)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value) if abs(value) <= _MAX_EXACT_INT else _number(float(value))
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, str):
        # json.dumps escapes exactly what RFC 8785 escapes: '"', '\\' and control characters
        # (\b \f \n \r \t by name, others as lower-case \u00xx); everything else stays literal.
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_canonical(v, depth + 1) for v in value) + "]"
    if isinstance(value, dict):
        items = sorted(((_key(k), v) for k, v in value.items()),
                       key=lambda kv: kv[0].encode("utf-16-be", "surrogatepass"))  # UTF-16 units
        return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + _canonical(v, depth + 1)
                              for k, v in items) + "}"
    return _canonical(_plain(value), depth + 1)


def canonical_json(value: Any) -> str:
    """The RFC 8785 canonical JSON text of ``value`` (JSON data, or objects with ``model_dump`` /
    ``to_dict``). Raises ValueError/TypeError for what JSON cannot represent (NaN, infinities,
    other objects)."""
    return _canonical(value, 0)


def context_sha256(model: Any, messages: Any, tools: Any = None) -> str:
    """The ``context_sha256`` of a request: ``model``, every input ``message`` (system and tool
    messages included, in order) and the declared ``tools`` (none: an empty list)."""
    text = canonical_json({"model": model, "messages": list(messages or []),
                           "tools": list(tools or [])})
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: encoded as U+FFFD, as JavaScript does
        data = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace").encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def is_context_sha256(value: Any) -> bool:
    """Whether ``value`` has the form of a ``context_sha256`` (64 lower-case hex digits)."""
    return isinstance(value, str) and _CONTEXT_SHA256.fullmatch(value) is not None
