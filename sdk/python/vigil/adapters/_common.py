"""Shared machinery of the client adapters: patch one method (``create``, ``chat``,
``generate_content``) on a resource object so each call inside a Vigil execution is recorded as an
``llm_call`` event."""

import inspect
import logging
import time
from typing import Any, Callable, Dict, List, Optional, Tuple

from .._context import context_sha256
from .._execution import _current
from ._stream import Accumulator, Recorder, RecordedStreamManager, recorded_stream

log = logging.getLogger("vigil")

_MARK = "__vigil_original__"


def field(obj: Any, name: str, default: Any = None) -> Any:
    """``obj.name`` or ``obj[name]``: client libraries return typed objects, fakes and raw JSON dicts."""
    if obj is None:
        return default
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def text_of(content: Any) -> str:
    """Text of a message ``content``: a string, or a list of parts whose text parts are joined."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, (list, tuple)):
        parts = []
        for part in content:
            if isinstance(part, str):
                parts.append(part)
            elif field(part, "type", "text") == "text" and isinstance(field(part, "text"), str):
                parts.append(field(part, "text"))
        return "\n".join(parts)
    return ""


def request_digest(model: Any, messages: Any, tools: Any) -> Optional[str]:
    """``context_sha256`` of a request, or None when it holds something JSON cannot represent."""
    try:
        return context_sha256(model, messages, tools)
    except Exception:
        log.debug("vigil: could not digest the request", exc_info=True)
        return None


def last_user_message(messages: Any) -> str:
    for message in reversed(list(messages or [])):
        if field(message, "role") == "user":
            return text_of(field(message, "content"))
    return ""


def chat_request(model: Any, messages: List[Any], tools: Any,
                 system_roles: Tuple[str, ...] = ("system",)) -> Dict[str, Any]:
    """The request fields of a chat call whose ``messages`` hold the whole conversation, system
    prompt included (adapters of APIs with a separate system parameter put it first)."""
    system = [text_of(field(m, "content")) for m in messages if field(m, "role") in system_roles]
    return {
        "model": model,
        "system_prompt": "\n".join(s for s in system if s),
        "user_message": last_user_message(messages),
        "context_sha256": request_digest(model, messages, tools),
    }


Extract = Callable[[Dict[str, Any]], Dict[str, Any]]
Usage = Callable[[Any], Dict[str, Any]]
# Given a call's keyword arguments: a fresh accumulator when the call streams its answer, else None.
Streams = Callable[[Dict[str, Any]], Optional[Accumulator]]


def patch_create(resource: Any, request_fields: Extract, response_fields: Usage,
                 method: str = "create", streams: Optional[Streams] = None) -> None:
    """Replace ``resource.<method>`` (an instance attribute shadowing the class method) by a
    recording wrapper. Idempotent. Works for sync clients and for async ones (the wrapper returns an
    awaitable when the original does). A call ``streams`` says is streamed returns a stand-in for
    the client's stream and is recorded when that stream ends."""
    original = getattr(resource, method)
    if getattr(original, _MARK, None) is not None:
        return

    def create(*args: Any, **kwargs: Any) -> Any:
        execution = _current.get()
        if execution is None:
            return original(*args, **kwargs)
        execution.check_before_llm_call()  # a halted or exhausted run never pays for another call
        started = time.perf_counter()
        request = _safe(request_fields, kwargs) or {}
        acc = _safe(streams, kwargs) if streams is not None else None
        try:
            result = original(*args, **kwargs)
        except Exception as exc:
            _record(execution, request, None, exc, started)
            raise
        if inspect.isawaitable(result):
            return _finish_async(execution, request, result, started, acc)
        return _settle(execution, request, result, started, acc, False)

    async def _finish_async(execution: Any, request: Dict[str, Any], awaitable: Any, started: float,
                            acc: Optional[Accumulator]) -> Any:
        try:
            result = await awaitable
        except Exception as exc:
            _record(execution, request, None, exc, started)
            raise
        return _settle(execution, request, result, started, acc, True)

    def _settle(execution: Any, request: Dict[str, Any], result: Any, started: float,
                acc: Optional[Accumulator], awaited: bool) -> Any:
        if acc is not None:
            recorder = Recorder(execution, request, acc, started, _record)
            return recorded_stream(result, recorder, awaited)
        _record(execution, request, _safe(response_fields, result), None, started)
        execution.check_halt()
        return result

    _mark(resource, method, create, original)


def patch_with_stream(resource: Any, request_fields: Extract, response_fields: Usage, method: str,
                      stream_method: str, streams: Streams) -> None:
    """:func:`patch_create` of ``method`` and, when the resource has it, of its streaming twin
    ``stream_method`` (whose every call streams)."""
    patch_create(resource, request_fields, response_fields, method)
    if callable(getattr(resource, stream_method, None)):
        patch_create(resource, request_fields, response_fields, stream_method, streams=streams)


def patch_stream_manager(resource: Any, request_fields: Extract, accumulator: Callable[[], Accumulator],
                         wrap: Callable[[Any, Recorder, bool], Any], method: str = "stream") -> None:
    """Replace ``resource.<method>``, which returns a stream manager (``with resource.stream(...)
    as stream``, sync or async), by one whose entered stream is ``wrap(stream, recorder,
    is_async)``. Idempotent."""
    original = getattr(resource, method)
    if getattr(original, _MARK, None) is not None:
        return

    def stream(*args: Any, **kwargs: Any) -> Any:
        execution = _current.get()
        if execution is None:
            return original(*args, **kwargs)
        execution.check_before_llm_call()
        started = time.perf_counter()
        request = _safe(request_fields, kwargs) or {}
        manager = original(*args, **kwargs)

        def entered(client_stream: Any, is_async: bool) -> Any:
            recorder = Recorder(execution, request, accumulator(), started, _record)
            return wrap(client_stream, recorder, is_async)

        return RecordedStreamManager(manager, entered)

    _mark(resource, method, stream, original)


def _mark(resource: Any, method: str, wrapper: Any, original: Any) -> None:
    setattr(wrapper, _MARK, original)
    wrapper.__doc__ = getattr(original, "__doc__", None)
    setattr(resource, method, wrapper)


def unpatch_create(resource: Any, method: str = "create", *more: str) -> None:
    """Undo :func:`patch_create` of ``method`` and of each of ``more``. Idempotent."""
    for other in more:
        unpatch_create(resource, other)
    original = getattr(getattr(resource, method, None), _MARK, None)
    if original is None:
        return
    try:
        delattr(resource, method)  # uncovers the class's (or a base class's) method
    except AttributeError:
        pass
    if not hasattr(resource, method):  # the method was an instance attribute to begin with
        setattr(resource, method, original)


def _safe(extract: Callable[[Any], Dict[str, Any]], value: Any) -> Optional[Dict[str, Any]]:
    try:
        return extract(value)
    except Exception:
        log.debug("vigil: could not read the LLM call fields", exc_info=True)
        return None


def _record(execution: Any, request: Dict[str, Any], response: Optional[Dict[str, Any]],
            error: Optional[BaseException], started: float) -> None:
    response = response or {}
    execution._record_llm_call(
        response.get("model") or request.get("model"),
        request.get("system_prompt"),
        request.get("user_message"),
        response.get("input_tokens"),
        response.get("output_tokens"),
        response.get("response_text"),
        "failed" if error is not None else "ok",
        (time.perf_counter() - started) * 1000,
        error,
        None,
        None,
        None,
        request.get("context_sha256"),
        response.get("cached_input_tokens"),
        response.get("reasoning_tokens"),
        response.get("tool_calls"),
    )
