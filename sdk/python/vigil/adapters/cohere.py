"""Record calls made with the Cohere Python client (``client.chat``), v2 (``ClientV2``) and v1
(``Client``), sync or async.

    import cohere
    from vigil.adapters import cohere as vigil_cohere

    client = vigil_cohere.instrument(cohere.ClientV2())

Each call inside a ``vigil.wrap`` execution becomes an ``llm_call`` event with the model, the system
messages (v1: the ``preamble``), the last user message (v1: ``message``), the tokens
(``usage.tokens`` of v2, ``meta.tokens`` of v1, else the billed units; ``usage.cached_tokens`` as
the cached part when reported), the response text, the latency and the request's ``context_sha256``;
a call that raises is recorded as failed and the exception propagates unchanged. The call is a halt
call point, and a call that would exceed ``max_steps`` is refused before it is made. Tool calls the
model asked for are sent as the event's ``tool_calls``.

``chat_stream`` (v2 and v1, sync and async) returns a stand-in for the client's iterator that
yields every event unchanged; the call is recorded once the stream ends (exhausted, raising, or
still open when the execution ends) with the text and tool calls of the deltas and the tokens of
the final event (v2 ``message-end``, v1 ``stream-end``).
"""

from typing import Any, Dict, List, Optional

from ._common import chat_request, field, patch_with_stream, text_of, unpatch_create
from ._stream import Accumulator, call_out

__all__ = ["instrument", "instrument_class", "uninstrument", "uninstrument_class"]

_METHOD = "chat"
_STREAM_METHOD = "chat_stream"


def _request(kwargs: Dict[str, Any]) -> Dict[str, Any]:
    messages = list(kwargs.get("messages") or [])
    if not messages:  # v1: ``preamble``, ``chat_history`` and the new ``message``
        preamble = kwargs.get("preamble")
        history = [{"role": str(field(m, "role") or "").lower(), "content": field(m, "message")}
                   for m in kwargs.get("chat_history") or []]
        messages = ([{"role": "system", "content": preamble}] if preamble else []) + history + [
            {"role": "user", "content": kwargs.get("message")}]
    return chat_request(kwargs.get("model"), messages, kwargs.get("tools"))


def _usage(usage: Any) -> Dict[str, Any]:
    """Tokens of a v2 ``usage`` or a v1 ``meta``: the counted tokens, else the billed units."""
    tokens = field(usage, "tokens") or field(usage, "billed_units")
    return {
        "input_tokens": field(tokens, "input_tokens"),
        "output_tokens": field(tokens, "output_tokens"),
        "cached_input_tokens": field(usage, "cached_tokens"),
    }


def _tool_calls(response: Any) -> List[Dict[str, Any]]:
    v2 = field(field(response, "message"), "tool_calls") or []
    v1 = field(response, "tool_calls") or []
    return ([call_out(field(c, "id"), field(field(c, "function"), "name"),
                      field(field(c, "function"), "arguments")) for c in v2]
            + [call_out(None, field(c, "name"), field(c, "parameters") or {}) for c in v1])


def _response(response: Any) -> Dict[str, Any]:
    text = field(response, "text")  # v1
    if not isinstance(text, str):
        text = text_of(field(field(response, "message"), "content"))
    return dict(_usage(field(response, "usage") or field(response, "meta")),  # v2, else v1
                model=field(response, "model"), response_text=text,
                tool_calls=_tool_calls(response))


class _ChatStream(Accumulator):
    """``chat_stream`` events: v2 content and tool-call deltas then ``message-end`` with the
    usage; v1 ``text-generation`` and ``tool-calls-generation`` then ``stream-end`` with the whole
    response."""

    def __init__(self) -> None:
        super().__init__()
        self.v1_calls: List[Dict[str, Any]] = []

    def add(self, event: Any) -> None:
        kind = field(event, "type") or field(event, "event_type")
        message = field(field(event, "delta"), "message")
        call = field(message, "tool_calls")
        if kind == "content-delta":
            self._text(field(field(message, "content"), "text"))
        elif kind in ("tool-call-start", "tool-call-delta"):
            function = field(call, "function")
            self.tool_fragment(field(event, "index"), field(call, "id"), field(function, "name"),
                               field(function, "arguments"))
        elif kind == "message-end":
            self.usage = _usage(field(field(event, "delta"), "usage"))
        elif kind == "text-generation":
            self._text(field(event, "text"))
        elif kind == "stream-end":
            response = field(event, "response")
            self.usage = _usage(field(response, "meta"))
            self.v1_calls = _tool_calls(response)

    def _text(self, text: Any) -> None:
        if isinstance(text, str):
            self.text.append(text)

    def fields(self) -> Dict[str, Any]:
        out = super().fields()
        out["tool_calls"] += self.v1_calls
        return out


def _streams(kwargs: Dict[str, Any]) -> Optional[Accumulator]:
    return _ChatStream()


def _chats(client: Any) -> List[Any]:
    """The client and, for a v1 client that has one, its ``v2`` client (``client.v2.chat``)."""
    v2 = getattr(client, "v2", None)
    return [client] + ([v2] if callable(getattr(v2, _METHOD, None)) else [])


def instrument(client: Any) -> Any:
    """Instrument ``chat`` and ``chat_stream`` of ``client`` (and of ``client.v2``) in place and
    return ``client``. Idempotent."""
    for resource in _chats(client):
        patch_with_stream(resource, _request, _response, _METHOD, _STREAM_METHOD, _streams)
    return client


def uninstrument(client: Any) -> Any:
    for resource in _chats(client):
        unpatch_create(resource, _METHOD, _STREAM_METHOD)
    return client


def instrument_class(client_class: Any) -> None:
    """Instrument ``chat`` and ``chat_stream`` of a client class (``ClientV2``, ``AsyncClientV2``, ``Client``,
    ``AsyncClient``), for every client. Idempotent."""
    patch_with_stream(client_class, _request, _response, _METHOD, _STREAM_METHOD, _streams)


def uninstrument_class(client_class: Any) -> None:
    unpatch_create(client_class, _METHOD, _STREAM_METHOD)
