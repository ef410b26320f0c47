"""Record calls made with the Anthropic Python client (``client.messages.create``), sync or async.

    import anthropic
    from vigil.adapters import anthropic as vigil_anthropic

    client = vigil_anthropic.instrument(anthropic.Anthropic())

Each call inside a ``vigil.wrap`` execution becomes an ``llm_call`` event with the model, the system
prompt, the last user message, ``usage.input_tokens`` / ``usage.output_tokens``, the response text,
the latency and the request's ``context_sha256`` (model, system prompt, messages and tools); a call
that raises is recorded as failed and the exception propagates unchanged. The call is a halt call
point, and a call that would exceed ``max_steps`` is refused before it is made.

Streamed calls, ``create(stream=True)`` and ``with client.messages.stream(...) as stream``, give a
stand-in for the client's stream: every event passes unchanged, and the ``MessageStream`` helpers
(``text_stream``, ``until_done()``, ``get_final_message()``, ``get_final_text()``) work as before.
The call is recorded once the stream ends (exhausted, closed, the ``with`` block left, raising, or
still open when the execution ends) with the tokens of ``message_start`` and the last
``message_delta``, and the text and tool calls assembled from the deltas. Tool calls the model asked
for are sent as the event's ``tool_calls``.
"""

from typing import Any, Dict, Iterator, Optional

from ._common import (chat_request, field, patch_create, patch_stream_manager, text_of,
                      unpatch_create)
from ._stream import Accumulator, RecordedAsyncStream, Recorder, RecordedStream, call_out

__all__ = ["instrument", "instrument_class", "uninstrument", "uninstrument_class"]


def _request(kwargs: Dict[str, Any]) -> Dict[str, Any]:
    messages = list(kwargs.get("messages") or [])
    system = kwargs.get("system")
    if system not in (None, ""):
        # ``system`` is a parameter here, not a message: it enters the digest as the first message.
        messages = [{"role": "system", "content": system}] + messages
    return chat_request(kwargs.get("model"), messages, kwargs.get("tools"))


def _usage(usage: Any) -> Dict[str, Any]:
    # Anthropic's input_tokens leaves out what was written to or read from the prompt cache: the
    # whole input is their sum, and the reads are its cached part
    # (docs/protocol.md#cached-and-reasoning-tokens).
    cache_read = field(usage, "cache_read_input_tokens")
    cache_write = field(usage, "cache_creation_input_tokens")
    input_tokens = field(usage, "input_tokens")
    if isinstance(input_tokens, int) and (cache_read or cache_write):
        input_tokens += (cache_read if isinstance(cache_read, int) else 0) + (
            cache_write if isinstance(cache_write, int) else 0)
    return {
        "input_tokens": input_tokens,
        "cached_input_tokens": cache_read if isinstance(cache_read, int) else None,
        "output_tokens": field(usage, "output_tokens"),
    }


def _response(message: Any) -> Dict[str, Any]:
    usage = field(message, "usage")
    content = field(message, "content") or []
    calls = [call_out(field(b, "id"), field(b, "name"), field(b, "input"))
             for b in content if field(b, "type") == "tool_use"]
    return dict(_usage(usage), model=field(message, "model"), tool_calls=calls,
                response_text=text_of(content) if usage is not None else None)


class _MessageStream(Accumulator):
    """Anthropic's stream events: the model and input usage in ``message_start``, text and tool-use
    input in ``content_block_delta`` events, the cumulative output usage in ``message_delta``. The
    events a ``MessageStream`` adds itself (``text``, ``input_json``, ...) repeat these and are
    skipped."""

    def add(self, event: Any) -> None:
        kind = field(event, "type")
        if kind == "message_start":
            message = field(event, "message")
            self.model = field(message, "model") or self.model
            self.usage = _usage(field(message, "usage"))
        elif kind == "content_block_start":
            block = field(event, "content_block")
            if field(block, "type") == "tool_use":
                self.tool_fragment(field(event, "index"), field(block, "id"), field(block, "name"))
        elif kind == "content_block_delta":
            delta = field(event, "delta")
            if field(delta, "type") == "text_delta" and isinstance(field(delta, "text"), str):
                self.text.append(field(delta, "text"))
            elif field(delta, "type") == "input_json_delta":
                self.tool_fragment(field(event, "index"), arguments=field(delta, "partial_json"))
        elif kind == "message_delta":
            self._add_delta_usage(field(event, "usage"))

    def _add_delta_usage(self, usage: Any) -> None:
        # Cumulative counts; input counts appear here only in newer API versions.
        if isinstance(field(usage, "output_tokens"), int):
            self.usage["output_tokens"] = field(usage, "output_tokens")
        latest = _usage(usage)
        if isinstance(field(usage, "input_tokens"), int):
            self.usage["input_tokens"] = latest["input_tokens"]
            self.usage["cached_input_tokens"] = latest["cached_input_tokens"]


def _streams(kwargs: Dict[str, Any]) -> Optional[Accumulator]:
    return _MessageStream() if kwargs.get("stream") is True else None


def _text_deltas(events: Any) -> Iterator[str]:
    """What ``MessageStream.text_stream`` yields: the text of each text delta."""
    for event in events:
        delta = field(event, "delta")
        if field(event, "type") == "content_block_delta" and field(delta, "type") == "text_delta":
            yield field(delta, "text")


async def _async_text_deltas(events: Any) -> Any:
    async for event in events:
        delta = field(event, "delta")
        if field(event, "type") == "content_block_delta" and field(delta, "type") == "text_delta":
            yield field(delta, "text")


class _RecordedMessageStream(RecordedStream):
    """A ``MessageStream`` stand-in: its helpers read the events through the stand-in, so the call
    is recorded whichever of them the agent uses."""

    def __init__(self, stream: Any, recorder: Recorder):
        super().__init__(stream, recorder)
        self.text_stream = _text_deltas(self)

    def until_done(self) -> None:
        for _ in self:
            pass

    def get_final_message(self) -> Any:
        self.until_done()
        return self._vigil_target.get_final_message()

    def get_final_text(self) -> Any:
        self.until_done()
        return self._vigil_target.get_final_text()


class _RecordedAsyncMessageStream(RecordedAsyncStream):
    """The ``AsyncMessageStream`` stand-in."""

    def __init__(self, stream: Any, recorder: Recorder):
        super().__init__(stream, recorder)
        self.text_stream = _async_text_deltas(self)

    async def until_done(self) -> None:
        async for _ in self:
            pass

    async def get_final_message(self) -> Any:
        await self.until_done()
        return await self._vigil_target.get_final_message()

    async def get_final_text(self) -> Any:
        await self.until_done()
        return await self._vigil_target.get_final_text()


def _wrap_message_stream(stream: Any, recorder: Recorder, is_async: bool) -> Any:
    if is_async:
        return _RecordedAsyncMessageStream(stream, recorder)
    return _RecordedMessageStream(stream, recorder)


def _patch(resource: Any) -> None:
    patch_create(resource, _request, _response, streams=_streams)
    if callable(getattr(resource, "stream", None)):
        patch_stream_manager(resource, _request, _MessageStream, _wrap_message_stream)


def _unpatch(resource: Any) -> None:
    unpatch_create(resource, "create", "stream")


def instrument(client: Any) -> Any:
    """Instrument ``client.messages.create`` and ``client.messages.stream`` in place and return
    ``client``. Idempotent."""
    _patch(client.messages)
    return client


def uninstrument(client: Any) -> Any:
    _unpatch(client.messages)
    return client


def instrument_class(messages_class: Any) -> None:
    """Instrument ``create`` and ``stream`` of a ``Messages`` class (every client's ``messages``).
    Idempotent."""
    _patch(messages_class)


def uninstrument_class(messages_class: Any) -> None:
    _unpatch(messages_class)
