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
call point, and a call that would exceed ``max_steps`` is refused before it is made.
``chat_stream`` is not instrumented.
"""

from typing import Any, Dict, List

from ._common import chat_request, field, patch_create, text_of, unpatch_create

__all__ = ["instrument", "instrument_class", "uninstrument", "uninstrument_class"]

_METHOD = "chat"


def _request(kwargs: Dict[str, Any]) -> Dict[str, Any]:
    messages = list(kwargs.get("messages") or [])
    if not messages:  # v1: ``preamble``, ``chat_history`` and the new ``message``
        preamble = kwargs.get("preamble")
        history = [{"role": str(field(m, "role") or "").lower(), "content": field(m, "message")}
                   for m in kwargs.get("chat_history") or []]
        messages = ([{"role": "system", "content": preamble}] if preamble else []) + history + [
            {"role": "user", "content": kwargs.get("message")}]
    return chat_request(kwargs.get("model"), messages, kwargs.get("tools"))


def _response(response: Any) -> Dict[str, Any]:
    usage = field(response, "usage") or field(response, "meta")  # v2, else v1
    tokens = field(usage, "tokens") or field(usage, "billed_units")
    text = field(response, "text")  # v1
    if not isinstance(text, str):
        text = text_of(field(field(response, "message"), "content"))
    return {
        "model": field(response, "model"),
        "input_tokens": field(tokens, "input_tokens"),
        "output_tokens": field(tokens, "output_tokens"),
        "cached_input_tokens": field(usage, "cached_tokens"),
        "response_text": text,
    }


def _chats(client: Any) -> List[Any]:
    """The client and, for a v1 client that has one, its ``v2`` client (``client.v2.chat``)."""
    v2 = getattr(client, "v2", None)
    return [client] + ([v2] if callable(getattr(v2, _METHOD, None)) else [])


def instrument(client: Any) -> Any:
    """Instrument ``client.chat`` (and ``client.v2.chat``) in place and return ``client``.
    Idempotent."""
    for resource in _chats(client):
        patch_create(resource, _request, _response, _METHOD)
    return client


def uninstrument(client: Any) -> Any:
    for resource in _chats(client):
        unpatch_create(resource, _METHOD)
    return client


def instrument_class(client_class: Any) -> None:
    """Instrument ``chat`` of a client class (``ClientV2``, ``AsyncClientV2``, ``Client``,
    ``AsyncClient``), for every client. Idempotent."""
    patch_create(client_class, _request, _response, _METHOD)


def uninstrument_class(client_class: Any) -> None:
    unpatch_create(client_class, _METHOD)
