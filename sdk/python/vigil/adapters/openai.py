"""Record calls made with the OpenAI Python client (``client.chat.completions.create`` and
``client.responses.create``), sync or async.

    import openai
    from vigil.adapters import openai as vigil_openai

    client = vigil_openai.instrument(openai.OpenAI())

Each call inside a ``vigil.wrap`` execution becomes an ``llm_call`` event with the model, the system
(and developer) messages, the last user message, ``usage.prompt_tokens`` /
``usage.completion_tokens``, the first choice's text, the latency and the request's
``context_sha256`` (model, messages and tools); a call that raises is recorded
as failed and the exception propagates unchanged. The call is a halt call point, and a call that would
exceed ``max_steps`` is refused before it is made.

Responses API calls record ``instructions`` as the system prompt, the input's last user message,
``output_text`` and ``usage.input_tokens`` / ``usage.output_tokens`` with their cached and reasoning
parts.

Streamed calls (``stream=True``, and the ``stream()`` helpers, which call ``create``) return a
stand-in for the client's stream that yields every chunk unchanged; the call is recorded once the
stream ends (exhausted, closed, raising, or still open when the execution ends) with the text and
tool calls assembled from the deltas. Chat completion streams carry token counts only when the
request asks for them (``stream_options={"include_usage": True}``); without it they are recorded
as 0. Tool calls the model asked for are sent as the event's ``tool_calls``.
"""

from typing import Any, Dict, List, Optional

from ._common import chat_request, field, patch_create, request_digest, text_of, unpatch_create
from ._stream import Accumulator, ProviderError, call_out

__all__ = ["instrument", "instrument_class", "uninstrument", "uninstrument_class"]


def _request(kwargs: Dict[str, Any]) -> Dict[str, Any]:
    # The whole request: system/developer and tool messages are in ``messages`` already.
    return chat_request(kwargs.get("model"), list(kwargs.get("messages") or []),
                        kwargs.get("tools"), ("system", "developer"))


def _chat_usage(usage: Any) -> Dict[str, Any]:
    return {
        "input_tokens": field(usage, "prompt_tokens"),
        "output_tokens": field(usage, "completion_tokens"),
        # Parts of those totals, when the API reports them (docs/protocol.md#cached-and-reasoning-tokens).
        "cached_input_tokens": field(field(usage, "prompt_tokens_details"), "cached_tokens"),
        "reasoning_tokens": field(field(usage, "completion_tokens_details"), "reasoning_tokens"),
    }


def _response(completion: Any) -> Dict[str, Any]:
    choices = field(completion, "choices") or []
    message = field(choices[0], "message") if choices else None
    calls = [call_out(field(c, "id"), field(field(c, "function"), "name"),
                      field(field(c, "function"), "arguments"))
             for c in field(message, "tool_calls") or []]
    return dict(_chat_usage(field(completion, "usage")), model=field(completion, "model"),
                response_text=text_of(field(message, "content")) if choices else None,
                tool_calls=calls)


class _ChatStream(Accumulator):
    """A chat completion stream: text and tool-call fragments in the first choice's deltas, usage
    in the last chunk when the request asked for it."""

    def add(self, chunk: Any) -> None:
        self.model = field(chunk, "model") or self.model
        usage = field(chunk, "usage")
        if usage is not None:
            self.usage = _chat_usage(usage)
        for choice in field(chunk, "choices") or []:
            if field(choice, "index", 0) != 0:
                continue
            delta = field(choice, "delta")
            content = field(delta, "content")
            if isinstance(content, str):
                self.text.append(content)
            for call in field(delta, "tool_calls") or []:
                function = field(call, "function")
                self.tool_fragment(field(call, "index", 0), field(call, "id"),
                                   field(function, "name"), field(function, "arguments"))


def _chat_streams(kwargs: Dict[str, Any]) -> Optional[Accumulator]:
    return _ChatStream() if kwargs.get("stream") is True else None


def _input_text(content: Any) -> str:
    """Text of a Responses API content: a string, or its ``input_text``/``output_text`` parts."""
    if isinstance(content, (list, tuple)):
        texts = [field(p, "text") for p in content
                 if field(p, "type") in ("input_text", "output_text", "text")]
        return "\n".join(t for t in texts if isinstance(t, str))
    return text_of(content)


def _responses_request(kwargs: Dict[str, Any]) -> Dict[str, Any]:
    instructions = kwargs.get("instructions")
    given = kwargs.get("input")
    items = [{"role": "user", "content": given}] if isinstance(given, str) else list(given or [])
    user = ""
    for item in reversed(items):
        if field(item, "role") == "user":
            user = _input_text(field(item, "content"))
            break
    messages = ([{"role": "system", "content": instructions}] if instructions else []) + items
    return {
        "model": kwargs.get("model"),
        "system_prompt": text_of(instructions),
        "user_message": user,
        "context_sha256": request_digest(kwargs.get("model"), messages, kwargs.get("tools")),
    }


def _function_calls(items: List[Any]) -> List[Dict[str, Any]]:
    return [call_out(field(i, "call_id"), field(i, "name"), field(i, "arguments"))
            for i in items if field(i, "type") == "function_call"]


def _responses_response(response: Any) -> Dict[str, Any]:
    items = field(response, "output") or []
    text = field(response, "output_text")
    if not isinstance(text, str):  # raw JSON: the client computes ``output_text`` itself
        text = "".join(_input_text(field(item, "content")) for item in items
                       if field(item, "type") == "message")
    return dict(_responses_usage(field(response, "usage")), model=field(response, "model"),
                response_text=text, tool_calls=_function_calls(items))


def _responses_usage(usage: Any) -> Dict[str, Any]:
    return {
        "input_tokens": field(usage, "input_tokens"),
        "output_tokens": field(usage, "output_tokens"),
        "cached_input_tokens": field(field(usage, "input_tokens_details"), "cached_tokens"),
        "reasoning_tokens": field(field(usage, "output_tokens_details"), "reasoning_tokens"),
    }


class _ResponsesStream(Accumulator):
    """A Responses API event stream: text deltas, function calls announced by
    ``output_item.added`` and filled by argument deltas, the model and usage in the final
    ``response.completed`` (or ``incomplete``/``failed``) event."""

    def add(self, event: Any) -> None:
        kind = field(event, "type")
        if kind == "response.output_text.delta" and isinstance(field(event, "delta"), str):
            self.text.append(field(event, "delta"))
        elif kind == "response.output_item.added":
            item = field(event, "item")
            if field(item, "type") == "function_call":
                self.tool_fragment(field(event, "output_index"), field(item, "call_id"),
                                   field(item, "name"), field(item, "arguments"))
        elif kind == "response.function_call_arguments.delta":
            self.tool_fragment(field(event, "output_index"), arguments=field(event, "delta"))
        elif kind in ("response.created", "response.completed", "response.incomplete",
                      "response.failed"):
            response = field(event, "response")
            self.model = field(response, "model") or self.model
            if field(response, "usage") is not None:
                self.usage = _responses_usage(field(response, "usage"))
            if kind == "response.failed":
                error = field(response, "error")
                self.failure = ProviderError(field(error, "message") or "response failed")


def _responses_streams(kwargs: Dict[str, Any]) -> Optional[Accumulator]:
    return _ResponsesStream() if kwargs.get("stream") is True else None


def instrument(client: Any) -> Any:
    """Instrument ``client.chat.completions.create`` and, when the client has it,
    ``client.responses.create`` in place and return ``client``. Idempotent."""
    patch_create(client.chat.completions, _request, _response, streams=_chat_streams)
    responses = getattr(client, "responses", None)
    if callable(getattr(responses, "create", None)):
        patch_create(responses, _responses_request, _responses_response,
                     streams=_responses_streams)
    return client


def uninstrument(client: Any) -> Any:
    unpatch_create(client.chat.completions)
    responses = getattr(client, "responses", None)
    if responses is not None:
        unpatch_create(responses)
    return client


def instrument_class(resource_class: Any) -> None:
    """Instrument ``create`` of a resource class: chat ``Completions`` or ``Responses`` (sync or
    async), for every client. Idempotent."""
    if "Responses" in getattr(resource_class, "__name__", ""):
        patch_create(resource_class, _responses_request, _responses_response,
                     streams=_responses_streams)
    else:
        patch_create(resource_class, _request, _response, streams=_chat_streams)


def uninstrument_class(resource_class: Any) -> None:
    unpatch_create(resource_class)
