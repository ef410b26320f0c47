"""Record calls made with the Anthropic Python client (``client.messages.create``), sync or async.

    import anthropic
    from vigil.adapters import anthropic as vigil_anthropic

    client = vigil_anthropic.instrument(anthropic.Anthropic())

Each call inside a ``vigil.wrap`` execution becomes an ``llm_call`` event with the model, the system
prompt, the last user message, ``usage.input_tokens`` / ``usage.output_tokens``, the response text,
the latency and the request's ``context_sha256`` (model, system prompt, messages and tools); a call
that raises is recorded as failed and the exception propagates unchanged. The call is a halt call
point, and a call that would exceed ``max_steps`` is refused before it is made.

Streaming responses (``stream=True``) are recorded without tokens or text.
"""

from typing import Any, Dict

from ._common import chat_request, field, patch_create, text_of, unpatch_create

__all__ = ["instrument", "instrument_class", "uninstrument", "uninstrument_class"]


def _request(kwargs: Dict[str, Any]) -> Dict[str, Any]:
    messages = list(kwargs.get("messages") or [])
    system = kwargs.get("system")
    if system not in (None, ""):
        # ``system`` is a parameter here, not a message: it enters the digest as the first message.
        messages = [{"role": "system", "content": system}] + messages
    return chat_request(kwargs.get("model"), messages, kwargs.get("tools"))


def _response(message: Any) -> Dict[str, Any]:
    usage = field(message, "usage")
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
        "model": field(message, "model"),
        "input_tokens": input_tokens,
        "cached_input_tokens": cache_read if isinstance(cache_read, int) else None,
        "output_tokens": field(usage, "output_tokens"),
        "response_text": text_of(field(message, "content")) if usage is not None else None,
    }


def instrument(client: Any) -> Any:
    """Instrument ``client.messages.create`` in place and return ``client``. Idempotent."""
    patch_create(client.messages, _request, _response)
    return client


def uninstrument(client: Any) -> Any:
    unpatch_create(client.messages)
    return client


def instrument_class(messages_class: Any) -> None:
    """Instrument ``create`` of a ``Messages`` class (every client's ``messages``). Idempotent."""
    patch_create(messages_class, _request, _response)


def uninstrument_class(messages_class: Any) -> None:
    unpatch_create(messages_class)
