"""What agent code calls inside an execution: ``tool`` (records each call of a function as a
``tool_call`` event), and the helpers that act on the current execution (``emit_llm_call``,
``checkpoint``, ``validator_result``, ``check_halt``, ``current_execution``). Each is a no-op
outside an execution, and each is a halt call point inside one.
"""

import functools
import inspect
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

from ._execution import Execution, _current, _perf
from ._halt import VigilHalt


class _ToolCall:
    """One call of a tool inside ``execution``, for sync and async tools alike: entering is a halt
    call point (the tool does not run if the execution must stop), leaving records the call with
    its ``result`` or the exception it raised. A VigilHalt raised inside the tool is not the tool's
    failure and is not recorded."""

    __slots__ = ("execution", "tool_name", "args", "kwargs", "capture", "started", "result")

    def __init__(self, execution: Execution, tool_name: str, args: tuple, kwargs: dict,
                 capture: Tuple[bool, bool]):
        execution.check_halt()
        self.execution = execution
        self.tool_name = tool_name
        self.args = args
        self.kwargs = kwargs
        self.capture = capture
        self.started = _perf()
        self.result: Any = None

    def __enter__(self) -> "_ToolCall":
        return self

    def __exit__(self, exc_type: Any, exc: Optional[BaseException], tb: Any) -> bool:
        if exc is None:
            self.execution._record_tool_call(self.tool_name, self.args, self.kwargs, self.result,
                                             None, self.started, *self.capture)
        elif not isinstance(exc, VigilHalt):
            self.execution._record_tool_call(self.tool_name, self.args, self.kwargs, None, exc,
                                             self.started, *self.capture)
        return False


def tool(
    fn: Union[Callable[..., Any], str, None] = None,
    *,
    name: Optional[str] = None,
    capture_arguments: bool = True,
    capture_result: bool = True,
) -> Any:
    """Record each call of ``fn`` as a ``tool_call`` event of the current execution (arguments,
    status, result summary or exception, duration). Forms: ``@vigil.tool``, ``@vigil.tool("search")``,
    ``@vigil.tool(name="search")``, ``vigil.tool(fn)``. Sync and async functions.
    ``capture_arguments=False`` / ``capture_result=False`` keep sensitive arguments or results out
    of the event.

    A tool call is a halt call point: if the execution must stop, :class:`VigilHalt` is raised before
    the tool runs. Outside an execution the function runs untouched.
    """
    if isinstance(fn, str):
        name, fn = fn, None
    if fn is None:
        return lambda f: tool(f, name=name, capture_arguments=capture_arguments,
                              capture_result=capture_result)
    if not callable(fn):
        raise TypeError("vigil.tool expects a function, got %r" % (fn,))
    tool_name = name or getattr(fn, "__name__", None) or "tool"
    capture = (capture_arguments, capture_result)

    if inspect.iscoroutinefunction(fn):
        @functools.wraps(fn)
        async def async_tool(*args: Any, **kwargs: Any) -> Any:
            execution = _current.get()
            if execution is None:
                return await fn(*args, **kwargs)
            with _ToolCall(execution, tool_name, args, kwargs, capture) as call:
                call.result = await fn(*args, **kwargs)
            return call.result

        return async_tool

    @functools.wraps(fn)
    def sync_tool(*args: Any, **kwargs: Any) -> Any:
        execution = _current.get()
        if execution is None:
            return fn(*args, **kwargs)
        with _ToolCall(execution, tool_name, args, kwargs, capture) as call:
            call.result = fn(*args, **kwargs)
        return call.result

    return sync_tool


def current_execution() -> Optional[Execution]:
    """The execution the caller runs in, or None outside any ``wrap``."""
    return _current.get()


def emit_llm_call(
    model: Optional[str] = None,
    *,
    system_prompt: Optional[str] = None,
    user_message: Optional[str] = None,
    input_tokens: Optional[int] = None,
    output_tokens: Optional[int] = None,
    response_text: Optional[str] = None,
    status: str = "ok",
    duration_ms: Optional[float] = None,
    error: Optional[BaseException] = None,
    exception_type: Optional[str] = None,
    exception_message: Optional[str] = None,
    cost_usd: Optional[float] = None,
    context_sha256: Optional[str] = None,
    cached_input_tokens: Optional[int] = None,
    reasoning_tokens: Optional[int] = None,
    tool_calls: Optional[List[Dict[str, Any]]] = None,
) -> None:
    """Record an LLM call on the current execution: a step for ``max_steps``, tokens and cost for the
    token and cost budgets (cost from the price table unless ``cost_usd`` is given). Pass ``error``
    (or ``status="failed"``) for a failed call, and :func:`vigil.context_sha256` of the request so
    the server tells a repeated request from a new step. ``cached_input_tokens`` and
    ``reasoning_tokens`` are the parts of the input read from the prompt cache and of the output
    spent on reasoning, priced at the provider's rates. ``tool_calls`` lists the tool calls the model
    asked for, each ``{"id", "name", "arguments"}`` with the arguments as JSON text. Afterwards raises :class:`VigilHalt` if a
    limit is now exceeded or a halt was requested. No-op outside an execution."""
    execution = _current.get()
    if execution is not None:
        execution.emit_llm_call(
            model, system_prompt=system_prompt, user_message=user_message, input_tokens=input_tokens,
            output_tokens=output_tokens, response_text=response_text, status=status,
            duration_ms=duration_ms, error=error, exception_type=exception_type,
            exception_message=exception_message, cost_usd=cost_usd, context_sha256=context_sha256,
            cached_input_tokens=cached_input_tokens, reasoning_tokens=reasoning_tokens,
            tool_calls=tool_calls,
        )


def checkpoint(name: str, metadata: Optional[Dict[str, Any]] = None, **fields: Any) -> None:
    """Record a named checkpoint on the current execution; a halt call point. No-op outside one.
    Metadata is given as a dict (``checkpoint("retrieved", {"docs": 5})``), as keyword arguments
    (``checkpoint("retrieved", docs=5)``, the Mesedi form), or both (merged, keywords win)."""
    execution = _current.get()
    if execution is not None:
        execution.checkpoint(name, metadata, **fields)


def validator_result(name: str, passed: bool, *args: Optional[str],
                     severity: Optional[str] = None, message: Optional[str] = None) -> None:
    """Record a validator verdict on the current execution; a halt call point. No-op outside one.
    Both positional orders are accepted: ``(name, passed, message, severity)`` as in the Mesedi SDK,
    and ``(name, passed, severity)`` as in earlier versions of this SDK (a lone third argument that
    is a severity, ``warning``/``error``/``critical``, is read as the severity)."""
    if len(args) > 2:
        raise TypeError("validator_result takes at most 4 positional arguments (%d given)"
                        % (len(args) + 2))
    given_message, given_severity = _message_and_severity(args)
    execution = _current.get()
    if execution is not None:
        execution.validator_result(
            name, passed, severity if severity is not None else given_severity,
            message if message is not None else given_message)


_SEVERITIES = ("warning", "error", "critical")


def _message_and_severity(args: Tuple[Optional[str], ...]) -> Tuple[Optional[str], Optional[str]]:
    """(message, severity) from validator_result's extra positional arguments."""
    if len(args) == 2:
        first, second = args
        if first in _SEVERITIES and second not in _SEVERITIES:
            return second, first  # this SDK's historical order: severity, message
        return first, second
    if len(args) == 1:
        return (None, args[0]) if args[0] in _SEVERITIES else (args[0], None)
    return None, None


def check_halt() -> None:
    """An explicit call point: raise :class:`VigilHalt` now if the current execution must stop."""
    execution = _current.get()
    if execution is not None:
        execution.check_halt()
