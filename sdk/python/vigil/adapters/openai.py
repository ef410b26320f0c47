"""Record calls made with the OpenAI Python client (``client.chat.completions.create``), sync or async.

    import openai
    from vigil.adapters import openai as vigil_openai

    client = vigil_openai.instrument(openai.OpenAI())

Each call inside a ``vigil.wrap`` execution becomes an ``llm_call`` event with the model, the system
(and developer) messages, the last user message, ``usage.prompt_tokens`` /
``usage.completion_tokens``, the first choice's text, the latency and the request's
``context_sha256`` (model, messages and tools); a call that raises is recorded
as failed and the exception propagates unchanged. The call is a halt call point, and a call that would
exceed ``max_steps`` is refused before it is made.

Streaming responses (``stream=True``) are recorded without tokens or text. The Responses API
(``client.responses``) is not instrumented.
"""

from typing import Any, Dict

from ._common import (field, last_user_message, patch_create, request_digest, text_of,
                      unpatch_create)

__all__ = ["instrument", "uninstrument"]


def _request(kwargs: Dict[str, Any]) -> Dict[str, Any]:
    messages = list(kwargs.get("messages") or [])
    system = [text_of(field(m, "content")) for m in messages if field(m, "role") in ("system", "developer")]
    return {
        "model": kwargs.get("model"),
        "system_prompt": "\n".join(s for s in system if s),
        "user_message": last_user_message(messages),
        # The whole request: system/developer and tool messages are in ``messages`` already.
        "context_sha256": request_digest(kwargs.get("model"), messages, kwargs.get("tools")),
    }


def _response(completion: Any) -> Dict[str, Any]:
    usage = field(completion, "usage")
    choices = field(completion, "choices") or []
    text = None
    if choices:
        text = text_of(field(field(choices[0], "message"), "content"))
    return {
        "model": field(completion, "model"),
        "input_tokens": field(usage, "prompt_tokens"),
        "output_tokens": field(usage, "completion_tokens"),
        # Parts of those totals, when the API reports them (docs/protocol.md#cached-and-reasoning-tokens).
        "cached_input_tokens": field(field(usage, "prompt_tokens_details"), "cached_tokens"),
        "reasoning_tokens": field(field(usage, "completion_tokens_details"), "reasoning_tokens"),
        "response_text": text,
    }


def instrument(client: Any) -> Any:
    """Instrument ``client.chat.completions.create`` in place and return ``client``. Idempotent."""
    patch_create(client.chat.completions, _request, _response)
    return client


def uninstrument(client: Any) -> Any:
    unpatch_create(client.chat.completions)
    return client
