"""The Mesedi SDK's ``instrument_anthropic()`` and ``instrument_openai()``: without an argument they
instrument the installed client library itself (its resource classes), so every client, made before
or after, records its calls; given a client they instrument that client, as
:mod:`vigil.adapters.anthropic` and :mod:`vigil.adapters.openai` do."""

from typing import Any, List, Optional

from .adapters import anthropic as _anthropic
from .adapters import openai as _openai


def _anthropic_classes() -> List[Any]:
    try:
        from anthropic.resources.messages import AsyncMessages, Messages
    except ImportError as exc:
        raise ImportError("vigil.instrument_anthropic() needs the anthropic package "
                          "(pip install anthropic), or pass it a client") from exc
    return [Messages, AsyncMessages]


def _openai_classes() -> List[Any]:
    try:
        from openai.resources.chat.completions import AsyncCompletions, Completions
    except ImportError as exc:
        raise ImportError("vigil.instrument_openai() needs the openai package "
                          "(pip install openai), or pass it a client") from exc
    classes = [Completions, AsyncCompletions]
    try:
        from openai.resources.responses import AsyncResponses, Responses
    except ImportError:  # a client from before the Responses API
        return classes
    return classes + [Responses, AsyncResponses]


def instrument_anthropic(client: Optional[Any] = None) -> Any:
    """Record ``messages.create`` calls of ``client``, or of every Anthropic client when none is
    given. Idempotent. Returns ``client``."""
    if client is not None:
        return _anthropic.instrument(client)
    for cls in _anthropic_classes():
        _anthropic.instrument_class(cls)
    return None


def instrument_openai(client: Optional[Any] = None) -> Any:
    """Record ``chat.completions.create`` and ``responses.create`` calls of ``client``, or of every
    OpenAI client when none is given. Idempotent. Returns ``client``."""
    if client is not None:
        return _openai.instrument(client)
    for cls in _openai_classes():
        _openai.instrument_class(cls)
    return None


def uninstrument_anthropic() -> None:
    """Undo :func:`instrument_anthropic` without a client."""
    for cls in _anthropic_classes():
        _anthropic.uninstrument_class(cls)


def uninstrument_openai() -> None:
    """Undo :func:`instrument_openai` without a client."""
    for cls in _openai_classes():
        _openai.uninstrument_class(cls)
