"""Recording of streamed LLM calls. An adapter hands the client's stream to :func:`recorded_stream`,
which returns a stand-in yielding the same chunks in the same order; the call is recorded once, when
the stream ends: exhausted, closed, raising, garbage-collected, or still open when its execution
ends (whatever arrived by then is what is recorded)."""

import inspect
import json
import logging
from typing import Any, Callable, Dict, List, Optional

log = logging.getLogger("vigil")


class ProviderError(Exception):
    """An error the provider reported inside a stream that itself ended normally (the Responses
    API's ``response.failed``): the call failed although nothing was raised."""


class Accumulator:
    """What a streamed response has added up to so far. Each adapter's subclass knows which chunks
    carry the model, text, tool-call fragments and usage; the usage dict holds the same keys as the
    adapter's non-streamed response fields (``input_tokens``, ``output_tokens``, ...)."""

    def __init__(self) -> None:
        self.model: Any = None
        self.text: List[str] = []
        self.usage: Dict[str, Any] = {}
        self.tools: Dict[Any, Dict[str, Any]] = {}
        self.failure: Optional[BaseException] = None

    def add(self, chunk: Any) -> None:
        raise NotImplementedError

    def tool_fragment(self, key: Any, call_id: Any = None, name: Any = None,
                      arguments: Any = None) -> None:
        """Adds a piece of the tool call ``key`` (its index in the response): id and name arrive
        once, the arguments as JSON text in fragments."""
        call = self.tools.setdefault(key, {"id": None, "name": None, "arguments": ""})
        if isinstance(call_id, str) and call_id:
            call["id"] = call_id
        if isinstance(name, str) and name:
            call["name"] = name
        if isinstance(arguments, str):
            call["arguments"] += arguments

    def fields(self) -> Dict[str, Any]:
        return dict(self.usage, model=self.model, response_text="".join(self.text),
                    tool_calls=[call_out(**c) for c in self.tools.values()])


def call_out(id: Any, name: Any, arguments: Any) -> Dict[str, Any]:
    """One entry of an llm_call's ``tool_calls``: arguments as the JSON text the model wrote (kept
    as text: a stream cut short leaves it incomplete)."""
    if not isinstance(arguments, str):
        try:
            arguments = json.dumps(arguments, default=_plain)
        except (TypeError, ValueError):
            arguments = str(arguments)
    out = {"name": name if isinstance(name, str) else "", "arguments": arguments}
    if isinstance(id, str) and id:
        out["id"] = id
    return out


def _plain(value: Any) -> Any:
    """A client's typed object (a pydantic model, an attribute object) as JSON-able data."""
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump()
    return vars(value) if hasattr(value, "__dict__") else str(value)


Record = Callable[[Any, Dict[str, Any], Optional[Dict[str, Any]], Optional[BaseException], float],
                  None]


class Recorder:
    """One streamed call of ``execution``: adds chunks to ``acc`` and records the call once."""

    __slots__ = ("execution", "request", "acc", "started", "record", "done")

    def __init__(self, execution: Any, request: Dict[str, Any], acc: Accumulator, started: float,
                 record: Record):
        self.execution = execution
        self.request = request
        self.acc = acc
        self.started = started
        self.record = record
        self.done = False
        execution._open_streams.append(self.finish)

    def add(self, chunk: Any) -> None:
        try:
            self.acc.add(chunk)
        except Exception:
            log.debug("vigil: could not read a stream chunk", exc_info=True)

    def finish(self, error: Optional[BaseException] = None) -> bool:
        """Records the call unless it was already; True when this call recorded it."""
        if self.done:
            return False
        self.done = True
        try:
            self.execution._open_streams.remove(self.finish)
        except ValueError:
            pass
        fields: Optional[Dict[str, Any]] = None
        try:
            fields = self.acc.fields()
        except Exception:
            log.debug("vigil: could not read the streamed call's fields", exc_info=True)
        if error is None:
            error = self.acc.failure
        self.record(self.execution, self.request, fields, error, self.started)
        return True

    def exhausted(self) -> None:
        """The stream ended by itself: record it, then the call is a halt call point like a
        non-streamed one (a budget it exhausted stops the agent at the stream's end)."""
        if self.finish():
            self.execution.check_halt()


class _StandIn:
    """Forwards every attribute it does not have itself to the client's object it stands in for."""

    _vigil_target: Any

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_vigil_"):  # not set yet: never look these up on the client's object
            raise AttributeError(name)
        return getattr(self._vigil_target, name)


class _StreamStandIn(_StandIn):
    """A client's stream and the recorder of its call."""

    def __init__(self, stream: Any, recorder: Recorder):
        self._vigil_target = stream
        self._vigil_recorder = recorder
        self._vigil_iterator: Any = None

    def __del__(self) -> None:
        recorder = self.__dict__.get("_vigil_recorder")
        if recorder is not None:
            recorder.finish()


class RecordedStream(_StreamStandIn):
    """Stands in for a client's sync stream: iterating it iterates the stream; anything else (its
    ``response``, helper attributes) is the stream's own. Closing it, or leaving a ``with`` block,
    closes the stream."""

    def __iter__(self) -> "RecordedStream":
        return self

    def __next__(self) -> Any:
        recorder = self._vigil_recorder
        try:
            if self._vigil_iterator is None:
                self._vigil_iterator = iter(self._vigil_target)
            chunk = next(self._vigil_iterator)
        except StopIteration:
            recorder.exhausted()
            raise
        except BaseException as exc:
            recorder.finish(exc)
            raise
        recorder.add(chunk)
        return chunk

    def close(self) -> Any:
        self._vigil_recorder.finish()
        close = getattr(self._vigil_target, "close", None)
        return close() if callable(close) else None

    def __enter__(self) -> "RecordedStream":
        return self

    def __exit__(self, *exc_info: Any) -> bool:
        self.close()
        return False


class RecordedAsyncStream(_StreamStandIn):
    """Stands in for a client's async stream (``async for``, ``await close()``, ``async with``)."""

    def __aiter__(self) -> "RecordedAsyncStream":
        return self

    async def __anext__(self) -> Any:
        recorder = self._vigil_recorder
        try:
            if self._vigil_iterator is None:
                self._vigil_iterator = self._vigil_target.__aiter__()
            chunk = await self._vigil_iterator.__anext__()
        except StopAsyncIteration:
            recorder.exhausted()
            raise
        except BaseException as exc:
            recorder.finish(exc)
            raise
        recorder.add(chunk)
        return chunk

    async def close(self) -> Any:
        self._vigil_recorder.finish()
        close = getattr(self._vigil_target, "close", None) or getattr(
            self._vigil_target, "aclose", None)
        result = close() if callable(close) else None
        return await result if inspect.isawaitable(result) else result

    async def __aenter__(self) -> "RecordedAsyncStream":
        return self

    async def __aexit__(self, *exc_info: Any) -> bool:
        await self.close()
        return False


def recorded_stream(stream: Any, recorder: Recorder, awaited: bool) -> Any:
    """The stand-in for ``stream``: async when an async client's call was awaited for it, or when
    the call returned an async iterable straight away."""
    if awaited or (hasattr(stream, "__aiter__") and not callable(getattr(stream, "__iter__", None))):
        return RecordedAsyncStream(stream, recorder)
    return RecordedStream(stream, recorder)


class RecordedStreamManager(_StandIn):
    """Stands in for a client's stream manager (``with client.messages.stream(...) as stream``):
    entering it enters the client's manager and wraps the stream it gives with ``wrap(stream,
    is_async)``; leaving it records the call (if the stream did not end already) and leaves the
    client's manager."""

    def __init__(self, manager: Any, wrap: Callable[[Any, bool], Any]):
        self._vigil_target = manager
        self._vigil_wrap = wrap
        self._vigil_entered: Any = None

    def __enter__(self) -> Any:
        self._vigil_entered = self._vigil_wrap(self._vigil_target.__enter__(), False)
        return self._vigil_entered

    def __exit__(self, *exc_info: Any) -> Any:
        self._finish_entered()
        return self._vigil_target.__exit__(*exc_info)

    async def __aenter__(self) -> Any:
        self._vigil_entered = self._vigil_wrap(await self._vigil_target.__aenter__(), True)
        return self._vigil_entered

    async def __aexit__(self, *exc_info: Any) -> Any:
        self._finish_entered()
        return await self._vigil_target.__aexit__(*exc_info)

    def _finish_entered(self) -> None:
        recorder = getattr(self._vigil_entered, "_vigil_recorder", None)
        if recorder is not None:
            recorder.finish()
