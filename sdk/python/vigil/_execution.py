"""Executions: ``wrap`` (decorator and context manager) and the Execution that records one run.
``tool`` and the module-level event helpers are in _calls.py.

The current execution lives in a ContextVar, so nesting works across plain calls, threads started
with a copied context, and asyncio tasks; a nested ``wrap`` records its parent's id.

Nothing here raises into the agent except :class:`VigilHalt` (deliberately, at call points) and
argument errors at decoration time; telemetry failures are logged and swallowed.
"""

import functools
import inspect
import itertools
import logging
import threading
import time
import types
from contextvars import ContextVar
from typing import Any, Callable, Dict, List, Optional, Tuple, TypeVar, Union, overload

from ._budget import Budget
from ._cause import exception_payload
from ._client import Client, get_client
from ._context import is_context_sha256
from ._halt import HaltStream, VigilHalt, open_halt_stream
from ._pricing import estimate_cost_usd
from ._shipper import CREATE, END, EVENT
from ._signature import crash_signature
from ._util import (MAX_REASON_BYTES, MAX_STRING_CHARS, cut_utf8, execution_name, jsonable, new_id,
                    result_text, summarize, truncate, utc_timestamp)
from ._version import SDK_LANGUAGE, __version__

log = logging.getLogger("vigil")

F = TypeVar("F", bound=Callable[..., Any])

_current: ContextVar[Optional["Execution"]] = ContextVar("vigil_execution", default=None)
_perf = time.perf_counter
# Guards the running totals of every execution: updates are rare (one per LLM call) and tiny, so one
# shared lock costs nothing, while a lock per execution would cost every wrapped call.
_totals_lock = threading.Lock()


def _count(value: Any) -> int:
    """A token count from whatever a client library returned: non-negative int, else 0."""
    if isinstance(value, bool) or value is None:
        return 0
    try:
        n = int(value)
    except (TypeError, ValueError):
        return 0
    return n if n > 0 else 0


def _text(value: Any) -> str:
    if value is None:
        return ""
    return truncate(value if isinstance(value, str) else summarize(value), MAX_STRING_CHARS)


class Execution:
    """One run of a wrapped agent. Returned by ``with vigil.wrap(...) as run``; also available as
    :func:`vigil.current_execution`. Its methods record events on this execution explicitly (useful
    from threads that do not share the agent's context)."""

    __slots__ = (
        "execution_id", "name", "parent", "budget", "status", "input_summary", "output_summary",
        "tokens_in", "tokens_out", "cost_usd", "llm_calls", "_client", "_seq", "_t0",
        "_halt", "_remote_reason", "_stream", "_ended", "_token", "_halt_raised",
        "_cause", "_used_calls", "_used_in", "_used_out", "_used_cost", "_open_streams",
    )

    def __init__(
        self,
        client: Client,
        name: str,
        budget: Optional[Budget],
        budget_wire: Optional[Dict[str, Any]],
        parent: Optional["Execution"],
        remote_halt: bool,
        wire_name: Optional[str] = None,
    ):
        """``wire_name``: the agent's name sent as the execution's ``name`` (a protocol extension
        that baselines key on); None sends none. ``name`` itself is a label for logs."""
        self.execution_id = execution_id = new_id("exec-")
        self.name = name
        self.parent = parent
        self.budget = budget
        self.status = "started"
        self.input_summary: Optional[str] = None
        self.output_summary: Optional[str] = None
        self.tokens_in = 0
        self.tokens_out = 0
        self.cost_usd = 0.0
        self.llm_calls = 0
        # Usage checked against the budget: this execution's own calls plus its descendants', so a
        # parent's budget bounds everything run on its behalf. The own totals above are what is sent.
        self._used_calls = 0
        self._used_in = 0
        self._used_out = 0
        self._used_cost = 0.0
        self._halt_raised = False
        self._cause: Optional[BaseException] = None
        self._client = client
        self._seq = itertools.count(1)
        self._halt: Optional[Tuple[str, str]] = None  # (trigger, reason) once halted: sticky
        self._remote_reason: Optional[str] = None  # written by the halt-stream thread
        self._stream: Optional[HaltStream] = None
        # Finishers of streamed LLM calls still open: a stream left unfinished is recorded at the end.
        self._open_streams: List[Callable[[], Any]] = []
        self._ended = False
        self._token = None
        body = {
            "execution_id": execution_id,
            "status": "started",
            "started_at": utc_timestamp(),
            "sdk_language": SDK_LANGUAGE,
            "sdk_version": __version__,
        }
        if parent is not None:
            body["parent_execution_id"] = parent.execution_id
        sent_name = execution_name(wire_name)
        if sent_name is not None:
            body["name"] = sent_name
        if budget_wire:
            body["budget"] = budget_wire
        if client.config.code_version:
            body["code_version"] = client.config.code_version
        if client.config.container_digest:
            body["container_digest"] = client.config.container_digest
        self._t0 = _perf()
        client.enqueue((CREATE, execution_id, body))
        if (budget is not None or remote_halt) and client.shipper is not None:
            self._open_halt_stream()

    def __repr__(self) -> str:
        return "<vigil.Execution %s %r %s>" % (self.execution_id, self.name, self.status)

    # ------------------------------------------------------------------ recording

    def _emit(self, event_type: str, payload: Dict[str, Any], duration_ms: Optional[float] = None) -> None:
        event = {
            "event_id": new_id("evt-"),
            "execution_id": self.execution_id,
            "event_type": event_type,
            "sequence": next(self._seq),
            "timestamp": utc_timestamp(),
            "payload": payload,
        }
        if duration_ms is not None:
            event["duration_ms"] = max(0, int(duration_ms))
        self._client.enqueue((EVENT, self.execution_id, event))

    def emit_llm_call(
        self,
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
        """Record one LLM call (a step), then raise :class:`VigilHalt` if a limit is now exceeded or
        a halt was requested. See :func:`vigil.emit_llm_call`."""
        self._record_llm_call(
            model, system_prompt, user_message, input_tokens, output_tokens, response_text, status,
            duration_ms, error, exception_type, exception_message, cost_usd, context_sha256,
            cached_input_tokens, reasoning_tokens, tool_calls,
        )
        self.check_halt()

    def _record_llm_call(
        self, model, system_prompt, user_message, input_tokens, output_tokens, response_text, status,
        duration_ms, error, exception_type, exception_message, cost_usd, context_sha256=None,
        cached_input_tokens=None, reasoning_tokens=None, tool_calls=None,
    ) -> None:
        try:
            if error is not None:
                status = "failed"
            ok = status != "failed"
            tokens_in = _count(input_tokens) if ok else 0
            tokens_out = _count(output_tokens) if ok else 0
            model_name = _text(model) or "unknown"
            payload: Dict[str, Any] = {
                "model": model_name,
                "system_prompt": _text(system_prompt),
                "user_message": _text(user_message),
                "status": "ok" if ok else "failed",
            }
            cached = _count(cached_input_tokens) if ok else 0
            reasoning = _count(reasoning_tokens) if ok else 0
            if ok:
                payload["input_tokens"] = tokens_in
                payload["output_tokens"] = tokens_out
                if cached_input_tokens is not None:
                    payload["cached_input_tokens"] = cached
                if reasoning_tokens is not None:
                    payload["reasoning_tokens"] = reasoning
            if response_text is not None:
                payload["response_text"] = _text(response_text)
            if tool_calls:
                payload["tool_calls"] = jsonable(tool_calls)
            if is_context_sha256(context_sha256):
                payload["context_sha256"] = context_sha256
            if not ok:
                payload["exception_type"] = exception_type or (
                    type(error).__name__ if error is not None else "Error")
                message = exception_message if exception_message is not None else (
                    str(error) if error is not None else "")
                payload["exception_message"] = summarize(message)
            if cost_usd is not None and cost_usd >= 0:
                cost = float(cost_usd)
            else:
                cost = estimate_cost_usd(model_name, tokens_in, tokens_out, cached, reasoning)
            with _totals_lock:
                self.llm_calls += 1
                self.tokens_in += tokens_in
                self.tokens_out += tokens_out
                self.cost_usd += cost
                node: Optional[Execution] = self
                while node is not None:
                    node._used_calls += 1
                    node._used_in += tokens_in
                    node._used_out += tokens_out
                    node._used_cost += cost
                    node = node.parent
            self._emit("llm_call", payload, duration_ms)
        except Exception:
            log.exception("vigil: could not record llm_call")

    def checkpoint(
        self, name: str, metadata: Optional[Dict[str, Any]] = None, **fields: Any
    ) -> None:
        """Record a checkpoint (a named point in the run) with ``metadata`` and keyword ``fields``
        merged, then check for a halt."""
        try:
            meta = jsonable(metadata) if metadata is not None else {}
            if not isinstance(meta, dict):
                meta = {"value": meta}
            if fields:
                meta.update(jsonable(fields))
            self._emit("checkpoint", {"name": _text(name), "metadata": meta})
        except Exception:
            log.exception("vigil: could not record checkpoint")
        self.check_halt()

    def validator_result(
        self, name: str, passed: bool, severity: Optional[str] = None, message: Optional[str] = None
    ) -> None:
        """Record a validator's verdict (``severity``: ``warning``/``error``/``critical``), then check
        for a halt."""
        try:
            payload: Dict[str, Any] = {"name": _text(name), "passed": bool(passed)}
            if severity is not None:
                payload["severity"] = _text(severity)
            if message is not None:
                payload["message"] = summarize(message)
            self._emit("validator_result", payload)
        except Exception:
            log.exception("vigil: could not record validator_result")
        self.check_halt()

    def _record_tool_call(
        self, tool_name: str, args: tuple, kwargs: dict, result: Any, error: Optional[BaseException],
        started: float, capture_arguments: bool = True, capture_result: bool = True,
    ) -> None:
        try:
            duration_ms = (_perf() - started) * 1000
            payload: Dict[str, Any] = {"tool_name": tool_name}
            if capture_arguments:
                payload["arguments"] = {"args": jsonable(list(args)), "kwargs": jsonable(kwargs)}
            if error is None:
                payload["status"] = "ok"
                if capture_result:
                    payload["result_summary"] = summarize(result)
                    payload["result_text"] = result_text(result)
            else:
                payload["status"] = "failed"
                payload["exception_type"] = type(error).__name__
                payload["exception_message"] = summarize(str(error))
            self._emit("tool_call", payload, duration_ms)
        except Exception:
            log.exception("vigil: could not record tool_call")

    # ------------------------------------------------------------------ halts

    def _open_halt_stream(self) -> None:
        config = self._client.config
        try:
            self._stream = open_halt_stream(config.base_url, config.api_key, self.execution_id,
                                            self._on_remote_halt)
        except Exception:
            log.exception("vigil: could not open the halt stream")

    def _on_remote_halt(self, reason: str) -> None:
        self._remote_reason = reason

    @property
    def halt_requested(self) -> bool:
        """True once a remote halt arrived for this execution (it is raised at the next call point)."""
        return self._remote_reason is not None

    def _pending_halt(self) -> Optional[Tuple[str, str]]:
        if self._ended:
            return None
        if self._halt is not None:
            return self._halt
        if self._remote_reason is not None:
            self._halt = ("remote_signal", self._remote_reason)
            return self._halt
        budget = self.budget
        if budget is None:
            return None
        hit = self._over_budget(budget)
        if hit is not None:
            self._halt = hit
        return hit

    def _over_budget(self, budget: Budget) -> Optional[Tuple[str, str]]:
        if budget.max_wall_clock_seconds is not None:
            elapsed = _perf() - self._t0
            if elapsed > budget.max_wall_clock_seconds:
                return ("wall_clock", "ran %.3fs, over max_wall_clock_seconds=%s"
                        % (elapsed, budget.max_wall_clock_seconds))
        if budget.max_steps is not None and self._used_calls > budget.max_steps:
            return ("step_count", "%d LLM calls, over max_steps=%d" % (self._used_calls, budget.max_steps))
        if budget.max_tokens_in is not None and self._used_in > budget.max_tokens_in:
            return ("token_total", "%d input tokens, over max_tokens_in=%d"
                    % (self._used_in, budget.max_tokens_in))
        if budget.max_tokens_out is not None and self._used_out > budget.max_tokens_out:
            return ("token_total", "%d output tokens, over max_tokens_out=%d"
                    % (self._used_out, budget.max_tokens_out))
        if budget.max_cost_usd is not None and self._used_cost > budget.max_cost_usd:
            return ("cost", "estimated $%.6f, over max_cost_usd=%s" % (self._used_cost, budget.max_cost_usd))
        return None

    def check_halt(self) -> None:
        """Raise :class:`VigilHalt` if this execution or an enclosing one must stop: a budget limit is
        exceeded or a remote halt arrived. Once halted, every later call point raises again."""
        execution: Optional[Execution] = self
        while execution is not None:
            hit = execution._pending_halt()
            if hit is not None:
                self._raise_halt(hit, execution)
            execution = execution.parent

    def _raise_halt(self, hit: Tuple[str, str], source: "Execution") -> None:
        if self._halt is None:
            self._halt = hit
        self._halt_raised = True
        raise VigilHalt(hit[0], hit[1], source.execution_id)

    def check_before_llm_call(self) -> None:
        """Call point before an LLM call is made (used by the adapters): besides :meth:`check_halt`,
        halts when the call would exceed ``max_steps`` of this execution or an enclosing one, so the
        over-budget call is never paid for."""
        self.check_halt()
        execution: Optional[Execution] = self
        while execution is not None:
            budget = execution.budget
            if (budget is not None and budget.max_steps is not None and not execution._ended
                    and execution._used_calls >= budget.max_steps):
                execution._halt = ("step_count",
                                   "max_steps=%d LLM calls used; next call refused" % budget.max_steps)
                self._raise_halt(execution._halt, execution)
            execution = execution.parent

    def _record_cause(self, error: BaseException) -> None:
        """Send ``error`` as an ``exception`` event now (a framework integration saw it end a run);
        if the execution later crashes with this same exception, it is not sent twice."""
        if self._ended or error is self._cause:
            return
        try:
            self._cause = error
            self._emit("exception", exception_payload(error))
        except Exception:
            log.exception("vigil: could not record an exception")

    # ------------------------------------------------------------------ end

    def _finish(self, error: Optional[BaseException]) -> None:
        if self._ended:
            return
        for finish in list(self._open_streams):  # before the totals, which count these calls
            finish()
        self._ended = True
        try:
            stream = self._stream
            if stream is not None:
                stream.close()
            duration_ms = int((_perf() - self._t0) * 1000)
            signature = halt_reason = None
            if error is None:
                if self._halt_raised and self._halt is not None:
                    # The agent caught the VigilHalt and returned: it still stopped because of it.
                    status, signature = "halted", "halt:" + self._halt[0]
                    halt_reason = self._halt[1]
                else:
                    status = "completed"
            elif isinstance(error, VigilHalt):
                status, signature, halt_reason = "halted", "halt:" + error.trigger, error.reason
            elif isinstance(error, SystemExit) and error.code in (None, 0):
                status = "completed"
            else:
                status, signature = "crashed", crash_signature(error)
                # The cause goes first, so the server holds it when the crash is detected.
                if error is not self._cause:
                    self._emit("exception", exception_payload(error))
            self.status = status
            # Totals are always sent (0 means "not provided" to the server, docs/api.md#json-bodies).
            body: Dict[str, Any] = {
                "status": status,
                "ended_at": utc_timestamp(),
                "duration_ms": duration_ms,
                "total_tokens_in": self.tokens_in,
                "total_tokens_out": self.tokens_out,
                "estimated_cost_usd": self.cost_usd,
            }
            if signature:
                body["crash_signature"] = signature
            if halt_reason:
                body["halt_reason"] = cut_utf8(halt_reason, MAX_REASON_BYTES)
            if self.input_summary:
                body["input_summary"] = _text(self.input_summary)
            if self.output_summary:
                body["output_summary"] = _text(self.output_summary)
            self._client.enqueue((END, self.execution_id, body))
        except Exception:
            log.exception("vigil: could not record the end of execution %s", self.execution_id)


_CoroutineType = types.CoroutineType


async def _await_in(execution: Execution, start: Callable[[], Any]) -> Any:
    """Awaits what ``start()`` returns with ``execution`` current, then ends the execution with the
    outcome (the exception propagates unchanged). ``start`` runs inside too: an async function that
    raises on being called ends the execution as crashed like one that raises when awaited."""
    token = _current.set(execution)
    try:
        result = await start()
    except BaseException as exc:
        _current.reset(token)
        execution._finish(exc)
        raise
    _current.reset(token)
    execution._finish(None)
    return result


def _function_name(fn: Any) -> Optional[str]:
    """The name an agent function is known by (its qualified name), or None for a lambda or a
    callable without one: a name shared by unrelated code would mix their baselines."""
    name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None)
    if not isinstance(name, str) or name.endswith("<lambda>"):
        return None
    return name


class _Wrap:
    """What ``vigil.wrap(...)`` returns when not given a function: a decorator factory and a (sync or
    async) context manager. Each ``with`` block or call is a new execution."""

    __slots__ = ("name", "budget", "remote_halt", "_budget_wire")

    def __init__(self, name: Optional[str], budget: Optional[Budget], remote_halt: Optional[bool]):
        if budget is not None and not isinstance(budget, Budget):
            raise TypeError("budget must be a vigil.Budget, got %r" % (budget,))
        self.name = name
        self.budget = budget
        self.remote_halt = remote_halt
        self._budget_wire = budget.to_wire() if budget is not None else None

    def _start(self, name: Optional[str], wire_name: Optional[str]) -> Execution:
        client = get_client()
        remote = self.remote_halt if self.remote_halt is not None else client.config.remote_halt
        return Execution(client, name or "execution", self.budget, self._budget_wire, _current.get(),
                         remote, wire_name=wire_name)

    def __call__(self, fn: F) -> F:
        if not callable(fn):
            raise TypeError("vigil.wrap expects a function, got %r" % (fn,))
        if inspect.isgeneratorfunction(fn) or inspect.isasyncgenfunction(fn):
            raise TypeError(
                "vigil.wrap cannot time a generator function (the call returns before the work "
                "runs); wrap the code that consumes it, or use `with vigil.wrap(...)` inside it")
        name = self.name or getattr(fn, "__qualname__", None) or getattr(fn, "__name__", "agent")
        wire_name = self.name or _function_name(fn)

        def start(label: str) -> Execution:
            return self._start(label, wire_name)

        if inspect.iscoroutinefunction(fn):
            @functools.wraps(fn)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                return await _await_in(start(name), lambda: fn(*args, **kwargs))

            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            execution = start(name)
            token = _current.set(execution)
            try:
                result = fn(*args, **kwargs)
            except BaseException as exc:
                _current.reset(token)
                execution._finish(exc)
                raise
            _current.reset(token)
            if result.__class__ is _CoroutineType:
                # An async function in disguise (a partial, a decorator without
                # markcoroutinefunction): the work runs when the caller awaits it.
                return _await_in(execution, lambda: result)
            execution._finish(None)
            return result

        return wrapper  # type: ignore[return-value]

    def __enter__(self) -> Execution:
        execution = self._start(self.name, self.name)
        execution._token = _current.set(execution)
        return execution

    def __exit__(self, exc_type: Any, exc: Optional[BaseException], tb: Any) -> bool:
        execution = _current.get()
        if execution is None:  # the context was replaced under us; nothing sensible to close
            return False
        try:
            _current.reset(execution._token)
        except (ValueError, RuntimeError):  # exited in another context than entered
            _current.set(execution.parent)
        execution._finish(exc)
        return False

    async def __aenter__(self) -> Execution:
        return self.__enter__()

    async def __aexit__(self, exc_type: Any, exc: Optional[BaseException], tb: Any) -> bool:
        return self.__exit__(exc_type, exc, tb)


@overload
def wrap(fn: F) -> F: ...
@overload
def wrap(fn: Optional[str] = None, *, name: Optional[str] = None, budget: Optional[Budget] = None,
         remote_halt: Optional[bool] = None) -> _Wrap: ...


def wrap(
    fn: Union[Callable[..., Any], str, None] = None,
    *,
    name: Optional[str] = None,
    budget: Optional[Budget] = None,
    remote_halt: Optional[bool] = None,
) -> Any:
    """Record each call of an agent function (or each ``with`` block) as one Vigil execution.

    Forms::

        @vigil.wrap                                  # bare decorator, sync or async
        @vigil.wrap(budget=vigil.Budget(max_steps=10))
        @vigil.wrap(name="support-agent")            # an explicit agent name
        with vigil.wrap("nightly-report") as run: ... # or ``async with``

    Each execution is sent with the agent's ``name``: the one given, else the decorated function's
    qualified name (a ``with`` block without a name, and a lambda, send none). The server lists and
    filters executions by it and learns each name's usual steps, duration and cost, so a run far
    outside them is reported.

    The execution ends ``completed``, ``crashed`` (with a crash signature) or ``halted``; exceptions
    always propagate unchanged. ``budget`` enforces limits locally and is sent to the server; with a
    budget or ``remote_halt=True`` a halt stream is opened so a halt requested on the server is raised
    as :class:`VigilHalt` at the next call point.
    """
    if isinstance(fn, str):
        name, fn = fn, None
    wrapper = _Wrap(name, budget, remote_halt)
    if fn is not None:
        return wrapper(fn)
    return wrapper
