"""Fakes of the OpenAI and Anthropic Python clients' streaming calls (neither library is installed
here). Each stream is decoded from server-sent-event text with the providers' event shapes, as the
real clients do, into attribute objects; the fakes keep what they yielded so tests can check the
chunks reach the agent unchanged."""

import asyncio
import json
from types import SimpleNamespace
from typing import Any, Dict, List, Optional


class APIConnectionError(Exception):
    pass


def ns(value: Any) -> Any:
    """JSON as attribute objects, the way the clients' typed models read."""
    if isinstance(value, dict):
        return SimpleNamespace(**{k: ns(v) for k, v in value.items()})
    if isinstance(value, list):
        return [ns(v) for v in value]
    return value


def sse(events: List[Dict[str, Any]], done_marker: bool = False) -> str:
    text = "".join("event: %s\ndata: %s\n\n" % (e.get("type", "message"), json.dumps(e))
                   for e in events)
    return text + ("data: [DONE]\n\n" if done_marker else "")


def decode_sse(text: str) -> List[Any]:
    out = []
    for block in text.split("\n\n"):
        data = [line[6:] for line in block.split("\n") if line.startswith("data: ")]
        if data and data[0] != "[DONE]":
            out.append(ns(json.loads("\n".join(data))))
    return out


class Stream:
    """``openai.Stream`` / ``anthropic.Stream``: iterable once, closable, a context manager."""

    def __init__(self, text: str, fail_after: Optional[int] = None):
        self.response = SimpleNamespace(status_code=200, closed=False)
        self.events = decode_sse(text)
        self.fail_after = fail_after
        self.yielded: List[Any] = []
        self._iterator = self._stream()

    def _stream(self) -> Any:
        for i, event in enumerate(self.events):
            if i == self.fail_after:
                raise APIConnectionError("connection reset mid-stream")
            self.yielded.append(event)
            yield event

    def __iter__(self) -> Any:
        for item in self._iterator:
            yield item

    def __next__(self) -> Any:
        return next(self._iterator)

    def close(self) -> None:
        self.response.closed = True

    def __enter__(self) -> "Stream":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class AsyncStream(Stream):
    """``openai.AsyncStream`` / ``anthropic.AsyncStream``."""

    __iter__ = None  # type: ignore[assignment]  # async only, as the real one

    async def __aiter__(self) -> Any:
        for item in self._iterator:
            await asyncio.sleep(0)
            yield item

    async def close(self) -> None:  # type: ignore[override]
        self.response.closed = True


# ---------------------------------------------------------------- OpenAI

def chat_chunks(include_usage: bool) -> List[Dict[str, Any]]:
    def chunk(delta: Dict[str, Any], finish: Optional[str] = None) -> Dict[str, Any]:
        return {"id": "chatcmpl-1", "object": "chat.completion.chunk", "model": "gpt-4o-2024-08-06",
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    call = {"index": 0, "id": "call_1", "type": "function",
            "function": {"name": "get_weather", "arguments": ""}}
    chunks = [chunk({"role": "assistant", "content": ""}), chunk({"content": "Paris"}),
              chunk({"content": " is sunny."}), chunk({"tool_calls": [call]}),
              chunk({"tool_calls": [{"index": 0, "function": {"arguments": "{\"city\":"}}]}),
              chunk({"tool_calls": [{"index": 0, "function": {"arguments": "\"Paris\"}"}}]}),
              chunk({}, "tool_calls")]
    if include_usage:
        chunks.append({"id": "chatcmpl-1", "object": "chat.completion.chunk",
                       "model": "gpt-4o-2024-08-06", "choices": [],
                       "usage": {"prompt_tokens": 12, "completion_tokens": 9,
                                 "prompt_tokens_details": {"cached_tokens": 4}}})
    return chunks


def responses_events(failed: bool = False) -> List[Dict[str, Any]]:
    usage = {"input_tokens": 20, "output_tokens": 7,
             "output_tokens_details": {"reasoning_tokens": 2}}
    created = {"id": "resp_1", "model": "gpt-4o-2024-08-06", "status": "in_progress"}
    return [
        {"type": "response.created", "response": created},
        {"type": "response.output_text.delta", "output_index": 0, "delta": "Let me "},
        {"type": "response.output_text.delta", "output_index": 0, "delta": "check."},
        {"type": "response.output_item.added", "output_index": 1,
         "item": {"type": "function_call", "call_id": "fc_1", "name": "lookup", "arguments": ""}},
        {"type": "response.function_call_arguments.delta", "output_index": 1, "delta": "{\"q\":"},
        {"type": "response.function_call_arguments.delta", "output_index": 1, "delta": "1}"},
        {"type": "response.failed", "response": dict(
            created, status="failed", error={"code": "server_error", "message": "The model crashed"})}
        if failed else
        {"type": "response.completed", "response": dict(created, status="completed", usage=usage)},
    ]


class Completions:
    def __init__(self, fail_after: Optional[int] = None, is_async: bool = False):
        self.calls: List[Dict[str, Any]] = []
        self.streams: List[Stream] = []
        self.fail_after = fail_after
        self.is_async = is_async

    def _stream(self, text: str) -> Stream:
        stream = (AsyncStream if self.is_async else Stream)(text, self.fail_after)
        self.streams.append(stream)
        return stream

    def create(self, **kwargs: Any) -> Any:
        self.calls.append(kwargs)
        include = bool((kwargs.get("stream_options") or {}).get("include_usage"))
        stream = self._stream(sse(chat_chunks(include), done_marker=True))
        return self._answer(stream)

    def stream(self, **kwargs: Any) -> "ChatCompletionStreamManager":
        return ChatCompletionStreamManager(lambda: self.create(stream=True, **kwargs))

    def _answer(self, value: Any) -> Any:
        if not self.is_async:
            return value

        async def later() -> Any:
            await asyncio.sleep(0)
            return value
        return later()


class ChatCompletionStreamManager:
    """``openai.lib.streaming.chat.ChatCompletionStreamManager``: entering it makes the request
    (``create(stream=True)`` through the resource) and wraps the raw stream in a helper that reads
    its ``response`` and its chunks."""

    def __init__(self, api_request: Any):
        self.api_request = api_request

    def __enter__(self) -> "ChatCompletionStream":
        self.stream = ChatCompletionStream(self.api_request())
        return self.stream

    def __exit__(self, *exc: Any) -> None:
        self.stream.close()


class ChatCompletionStream:
    def __init__(self, raw: Any):
        self._raw_stream = raw
        self._response = raw.response
        self.chunks: List[Any] = []
        self._iterator = self._events()

    def _events(self) -> Any:
        for chunk in self._raw_stream:
            self.chunks.append(chunk)
            yield SimpleNamespace(type="chunk", chunk=chunk)

    def __iter__(self) -> Any:
        for event in self._iterator:
            yield event

    def get_final_completion(self) -> Any:
        for _ in self:
            pass
        return SimpleNamespace(content="".join(getattr(c.choices[0].delta, "content", "")
                                               for c in self.chunks if c.choices))

    def close(self) -> None:
        self._response.closed = True


class Responses(Completions):
    failed = False  # answer with a stream that ends in ``response.failed``

    def create(self, **kwargs: Any) -> Any:
        self.calls.append(kwargs)
        return self._answer(self._stream(sse(responses_events(self.failed))))


class OpenAI:
    def __init__(self, fail_after: Optional[int] = None, is_async: bool = False):
        self.chat = SimpleNamespace(completions=Completions(fail_after, is_async))
        self.responses = Responses(fail_after, is_async)


# ---------------------------------------------------------------- Anthropic

def message_events() -> List[Dict[str, Any]]:
    def delta(index: int, d: Dict[str, Any]) -> Dict[str, Any]:
        return {"type": "content_block_delta", "index": index, "delta": d}
    message = {"id": "msg_1", "type": "message", "role": "assistant",
               "model": "claude-sonnet-4-20250514", "content": [],
               "usage": {"input_tokens": 25, "output_tokens": 1, "cache_read_input_tokens": 5}}
    tool = {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {}}
    return [
        {"type": "message_start", "message": message},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        delta(0, {"type": "text_delta", "text": "Checking "}),
        delta(0, {"type": "text_delta", "text": "the weather."}),
        {"type": "content_block_stop", "index": 0},
        {"type": "content_block_start", "index": 1, "content_block": tool},
        delta(1, {"type": "input_json_delta", "partial_json": "{\"city\": "}),
        delta(1, {"type": "input_json_delta", "partial_json": "\"Paris\"}"}),
        {"type": "content_block_stop", "index": 1},
        {"type": "message_delta", "delta": {"stop_reason": "tool_use"},
         "usage": {"output_tokens": 30}},
        {"type": "message_stop"},
    ]


class MessageStream:
    """``anthropic.lib.streaming.MessageStream``: reads the raw stream, yields its events plus the
    ``text`` events it derives, and builds the final message."""

    def __init__(self, raw: Stream):
        self._raw_stream = raw
        self.response = raw.response
        self.snapshot: Any = None
        self._iterator = self._events()
        self.text_stream = self._text()

    def _events(self) -> Any:
        for event in self._raw_stream:
            if event.type == "message_start":
                self.snapshot = event.message
            yield event
            if event.type == "content_block_delta" and event.delta.type == "text_delta":
                yield SimpleNamespace(type="text", text=event.delta.text, snapshot="")

    def _text(self) -> Any:
        for event in self:
            if event.type == "content_block_delta" and event.delta.type == "text_delta":
                yield event.delta.text

    def __iter__(self) -> Any:
        for item in self._iterator:
            yield item

    def until_done(self) -> None:
        for _ in self:
            pass

    def get_final_message(self) -> Any:
        self.until_done()
        return self.snapshot

    def get_final_text(self) -> str:
        self.until_done()
        return "final text"

    def close(self) -> None:
        self.response.closed = True


class AsyncMessageStream(MessageStream):
    __iter__ = None  # type: ignore[assignment]

    async def _events(self) -> Any:  # type: ignore[override]
        async for event in self._raw_stream:
            if event.type == "message_start":
                self.snapshot = event.message
            yield event

    async def _text(self) -> Any:  # type: ignore[override]
        async for event in self:
            if event.type == "content_block_delta" and event.delta.type == "text_delta":
                yield event.delta.text

    def __aiter__(self) -> Any:
        return self._iterator

    async def until_done(self) -> None:  # type: ignore[override]
        async for _ in self:
            pass

    async def get_final_message(self) -> Any:  # type: ignore[override]
        await self.until_done()
        return self.snapshot


class MessageStreamManager:
    def __init__(self, make: Any, is_async: bool):
        self.make = make
        self.is_async = is_async
        self.stream: Any = None
        self.exited = False

    def __enter__(self) -> MessageStream:
        self.stream = MessageStream(self.make())
        return self.stream

    def __exit__(self, *exc: Any) -> None:
        self.exited = True
        self.stream.close()

    async def __aenter__(self) -> AsyncMessageStream:
        self.stream = AsyncMessageStream(self.make())
        return self.stream

    async def __aexit__(self, *exc: Any) -> None:
        self.exited = True
        self.stream.close()


class Messages(Completions):
    def create(self, **kwargs: Any) -> Any:
        self.calls.append(kwargs)
        return self._answer(self._stream(sse(message_events())))

    def stream(self, **kwargs: Any) -> MessageStreamManager:
        # Like the real client, stream() posts the request itself rather than calling create().
        self.calls.append(dict(kwargs, stream=True))
        self.manager = MessageStreamManager(lambda: self._stream(sse(message_events())),
                                            self.is_async)
        return self.manager


class Anthropic:
    def __init__(self, fail_after: Optional[int] = None, is_async: bool = False):
        self.messages = Messages(fail_after, is_async)
