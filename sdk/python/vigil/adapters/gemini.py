"""Record calls made with Google's Gen AI Python client (``google-genai``:
``client.models.generate_content`` and ``client.aio.models.generate_content``).

    from google import genai
    from vigil.adapters import gemini as vigil_gemini

    client = vigil_gemini.instrument(genai.Client())

Each call inside a ``vigil.wrap`` execution becomes an ``llm_call`` event with the model (the
response's ``model_version``, else the request's), the config's ``system_instruction``, the last
user turn of ``contents``, the tokens of ``usage_metadata``, the response text, the latency and the
request's ``context_sha256`` (model, system instruction, contents and tools); a call that raises is
recorded as failed and the exception propagates unchanged. The call is a halt call point, and a call
that would exceed ``max_steps`` is refused before it is made.

Gemini's ``prompt_token_count`` already holds the cached part (``cached_content_token_count``),
while ``candidates_token_count`` leaves out the thinking (``thoughts_token_count``): the output sent
is their sum and the thinking is its reasoning part (docs/protocol.md#cached-and-reasoning-tokens).
Function calls the model asked for are sent as the event's ``tool_calls``.

``generate_content_stream`` (sync and ``aio``) returns a stand-in for the client's iterator that
yields every chunk unchanged; the call is recorded once the stream ends (exhausted, raising, or
still open when the execution ends) with the text and function calls of the chunks and the last
chunk's ``usage_metadata``.
"""

from typing import Any, Dict, List, Optional

from ._common import chat_request, field, patch_with_stream, text_of, unpatch_create
from ._stream import Accumulator, call_out

__all__ = ["instrument", "instrument_class", "uninstrument", "uninstrument_class"]

_METHOD = "generate_content"
_STREAM_METHOD = "generate_content_stream"


def _turn(item: Any) -> Dict[str, Any]:
    """One entry of ``contents`` as a chat message: a string or a part is a user turn."""
    if isinstance(item, str):
        return {"role": "user", "content": item}
    parts = field(item, "parts")
    if parts is None:  # a single part
        return {"role": "user", "content": text_of([item])}
    return {"role": field(item, "role") or "user", "content": text_of(list(parts))}


def _turns(contents: Any) -> List[Dict[str, Any]]:
    if contents is None:
        return []
    if isinstance(contents, (list, tuple)):
        return [_turn(item) for item in contents]
    return [_turn(contents)]


def _request(kwargs: Dict[str, Any]) -> Dict[str, Any]:
    config = kwargs.get("config")
    system = field(config, "system_instruction")
    system_text = "\n".join(t["content"] for t in _turns(system)) if system is not None else ""
    messages = ([{"role": "system", "content": system_text}] if system_text else []) + _turns(
        kwargs.get("contents"))
    return chat_request(kwargs.get("model"), messages, field(config, "tools"))


def _count(usage: Any, name: str) -> int:
    value = field(usage, name)
    return value if isinstance(value, int) else 0


def _text(response: Any) -> Any:
    text = field(response, "text")
    if isinstance(text, str):
        return text
    if not field(response, "candidates"):  # raw JSON: the client computes ``text``
        return None
    parts = _parts(response)
    return "".join(t for t in (field(p, "text") for p in parts if not field(p, "thought"))
                   if isinstance(t, str))


def _parts(response: Any) -> List[Any]:
    candidates = field(response, "candidates") or []
    return list(field(field(candidates[0], "content"), "parts") or []) if candidates else []


def _function_calls(response: Any) -> List[Dict[str, Any]]:
    calls = [field(p, "function_call") for p in _parts(response)]
    return [call_out(field(c, "id"), field(c, "name"), field(c, "args") or {})
            for c in calls if c is not None]


def _response(response: Any) -> Dict[str, Any]:
    return dict(_usage(field(response, "usage_metadata")), model=field(response, "model_version"),
                response_text=_text(response), tool_calls=_function_calls(response))


class _ContentStream(Accumulator):
    """Chunks of ``generate_content_stream``: each a response holding the next text and whole
    function calls; ``usage_metadata`` counts the whole call so far, so the last one is kept."""

    def add(self, chunk: Any) -> None:
        self.model = field(chunk, "model_version") or self.model
        text = _text(chunk)
        if isinstance(text, str):
            self.text.append(text)
        for call in _function_calls(chunk):
            self.tools[len(self.tools)] = call
        if field(chunk, "usage_metadata") is not None:
            self.usage = _usage(field(chunk, "usage_metadata"))

    def fields(self) -> Dict[str, Any]:
        return dict(self.usage, model=self.model, response_text="".join(self.text),
                    tool_calls=list(self.tools.values()))


def _streams(kwargs: Dict[str, Any]) -> Optional[Accumulator]:
    return _ContentStream()


def _usage(usage: Any) -> Dict[str, Any]:
    thoughts = field(usage, "thoughts_token_count")
    output = field(usage, "candidates_token_count")
    if isinstance(output, int) or isinstance(thoughts, int):
        output = _count(usage, "candidates_token_count") + _count(usage, "thoughts_token_count")
    return {
        "input_tokens": field(usage, "prompt_token_count"),
        "output_tokens": output,
        "cached_input_tokens": field(usage, "cached_content_token_count"),
        "reasoning_tokens": thoughts,
    }


def _resources(client: Any) -> List[Any]:
    """The client's sync ``models`` and, when it has them, its async ``aio.models``."""
    resources = [client.models]
    aio_models = field(field(client, "aio"), "models")
    if callable(getattr(aio_models, _METHOD, None)):
        resources.append(aio_models)
    return resources


def instrument(client: Any) -> Any:
    """Instrument ``generate_content`` and ``generate_content_stream`` of ``client.models`` and
    ``client.aio.models`` in place and return ``client``. Idempotent."""
    for resource in _resources(client):
        patch_with_stream(resource, _request, _response, _METHOD, _STREAM_METHOD, _streams)
    return client


def uninstrument(client: Any) -> Any:
    for resource in _resources(client):
        unpatch_create(resource, _METHOD, _STREAM_METHOD)
    return client


def instrument_class(models_class: Any) -> None:
    """Instrument ``generate_content`` and ``generate_content_stream`` of a ``Models`` or
    ``AsyncModels`` class (every client's). Idempotent."""
    patch_with_stream(models_class, _request, _response, _METHOD, _STREAM_METHOD, _streams)


def uninstrument_class(models_class: Any) -> None:
    unpatch_create(models_class, _METHOD, _STREAM_METHOD)

