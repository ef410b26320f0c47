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
parts. Streaming responses (``stream=True``) are recorded without tokens or text.
"""

from typing import Any, Dict

from ._common import chat_request, field, patch_create, request_digest, text_of, unpatch_create

__all__ = ["instrument", "instrument_class", "uninstrument", "uninstrument_class"]


def _request(kwargs: Dict[str, Any]) -> Dict[str, Any]:
    # The whole request: system/developer and tool messages are in ``messages`` already.
    return chat_request(kwargs.get("model"), list(kwargs.get("messages") or []),
                        kwargs.get("tools"), ("system", "developer"))


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


def _responses_response(response: Any) -> Dict[str, Any]:
    usage = field(response, "usage")
    text = field(response, "output_text")
    if not isinstance(text, str):  # raw JSON: the client computes ``output_text`` itself
        items = field(response, "output") or []
        text = "".join(_input_text(field(item, "content")) for item in items
                       if field(item, "type") == "message")
    return {
        "model": field(response, "model"),
        "input_tokens": field(usage, "input_tokens"),
        "output_tokens": field(usage, "output_tokens"),
        "cached_input_tokens": field(field(usage, "input_tokens_details"), "cached_tokens"),
        "reasoning_tokens": field(field(usage, "output_tokens_details"), "reasoning_tokens"),
        "response_text": text,
    }


def instrument(client: Any) -> Any:
    """Instrument ``client.chat.completions.create`` and, when the client has it,
    ``client.responses.create`` in place and return ``client``. Idempotent."""
    patch_create(client.chat.completions, _request, _response)
    responses = getattr(client, "responses", None)
    if callable(getattr(responses, "create", None)):
        patch_create(responses, _responses_request, _responses_response)
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
        patch_create(resource_class, _responses_request, _responses_response)
    else:
        patch_create(resource_class, _request, _response)


def uninstrument_class(resource_class: Any) -> None:
    unpatch_create(resource_class)
