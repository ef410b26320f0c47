"""The Mesedi SDK's ``instrument_anthropic()``, ``instrument_openai()``, ``instrument_cohere()`` and
``instrument_gemini()``: without an argument they instrument the installed client library itself
(its resource or client classes), so every client, made before or after, records its calls; given a
client they instrument that client, as the modules of :mod:`vigil.adapters` do."""

from typing import Any, Callable, List, Optional

from .adapters import anthropic as _anthropic
from .adapters import cohere as _cohere
from .adapters import gemini as _gemini
from .adapters import openai as _openai


def _missing(function: str, package: str) -> ImportError:
    return ImportError("vigil.%s() needs the %s package (pip install %s), or pass it a client"
                       % (function, package, package))


def _anthropic_classes() -> List[Any]:
    try:
        from anthropic.resources.messages import AsyncMessages, Messages
    except ImportError as exc:
        raise _missing("instrument_anthropic", "anthropic") from exc
    return [Messages, AsyncMessages]


def _openai_classes() -> List[Any]:
    try:
        from openai.resources.chat.completions import AsyncCompletions, Completions
    except ImportError as exc:
        raise _missing("instrument_openai", "openai") from exc
    classes = [Completions, AsyncCompletions]
    try:
        from openai.resources.responses import AsyncResponses, Responses
    except ImportError:  # a client from before the Responses API
        return classes
    return classes + [Responses, AsyncResponses]


def _cohere_classes() -> List[Any]:
    try:
        import cohere
    except ImportError as exc:
        raise _missing("instrument_cohere", "cohere") from exc
    # Older releases have no v2 clients; every release has the v1 ones.
    names = ("ClientV2", "AsyncClientV2", "Client", "AsyncClient")
    return [getattr(cohere, n) for n in names if getattr(cohere, n, None) is not None]


def _gemini_classes() -> List[Any]:
    try:
        from google.genai.models import AsyncModels, Models
    except ImportError as exc:
        raise _missing("instrument_gemini", "google-genai") from exc
    return [Models, AsyncModels]


def _instrument(adapter: Any, classes: Callable[[], List[Any]], client: Optional[Any]) -> Any:
    if client is not None:
        return adapter.instrument(client)
    for cls in classes():
        adapter.instrument_class(cls)
    return None


def _uninstrument(adapter: Any, classes: Callable[[], List[Any]]) -> None:
    for cls in classes():
        adapter.uninstrument_class(cls)


def instrument_anthropic(client: Optional[Any] = None) -> Any:
    """Record ``messages.create`` calls of ``client``, or of every Anthropic client when none is
    given. Idempotent. Returns ``client``."""
    return _instrument(_anthropic, _anthropic_classes, client)


def instrument_openai(client: Optional[Any] = None) -> Any:
    """Record ``chat.completions.create`` and ``responses.create`` calls of ``client``, or of every
    OpenAI client when none is given. Idempotent. Returns ``client``."""
    return _instrument(_openai, _openai_classes, client)


def instrument_cohere(client: Optional[Any] = None) -> Any:
    """Record ``chat`` calls of ``client``, or of every Cohere client (v1 and v2, sync and async)
    when none is given. Idempotent. Returns ``client``."""
    return _instrument(_cohere, _cohere_classes, client)


def instrument_gemini(client: Optional[Any] = None) -> Any:
    """Record ``models.generate_content`` calls (sync and ``aio``) of ``client``, a
    ``google.genai.Client``, or of every such client when none is given. Idempotent. Returns
    ``client``."""
    return _instrument(_gemini, _gemini_classes, client)


def uninstrument_anthropic() -> None:
    """Undo :func:`instrument_anthropic` without a client."""
    _uninstrument(_anthropic, _anthropic_classes)


def uninstrument_openai() -> None:
    """Undo :func:`instrument_openai` without a client."""
    _uninstrument(_openai, _openai_classes)


def uninstrument_cohere() -> None:
    """Undo :func:`instrument_cohere` without a client."""
    _uninstrument(_cohere, _cohere_classes)


def uninstrument_gemini() -> None:
    """Undo :func:`instrument_gemini` without a client."""
    _uninstrument(_gemini, _gemini_classes)
