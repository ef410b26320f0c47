"""``vigil.instrument_anthropic()`` and ``vigil.instrument_openai()`` (the Mesedi SDK's names), and
the OpenAI Responses API, against fakes of the installed client libraries: small modules with the
libraries' import paths and call shapes (neither library is installed here)."""

import asyncio
import sys
import types
from types import SimpleNamespace

import pytest

import vigil


def _module(monkeypatch, name, **attributes):
    module = types.ModuleType(name)
    module.__dict__.update(attributes)
    monkeypatch.setitem(sys.modules, name, module)
    return module


def _usage(**fields):
    return SimpleNamespace(**fields)


@pytest.fixture
def anthropic_library(monkeypatch):
    """A fake ``anthropic`` package: ``anthropic.resources.messages`` with both Messages classes."""

    def message(model):
        return SimpleNamespace(
            model=model, content=[SimpleNamespace(type="text", text="Bonjour.")],
            usage=_usage(input_tokens=40, output_tokens=5, cache_read_input_tokens=60))

    # As in the library, the async class does not call the sync one (no call is recorded twice).
    class Messages:
        def create(self, *, model, max_tokens, messages, system=None, **kwargs):
            return message(model)

    class AsyncMessages:
        async def create(self, *, model, **kwargs):
            return message(model)

    class Anthropic:
        def __init__(self):
            self.messages = Messages()

    _module(monkeypatch, "anthropic", Anthropic=Anthropic)
    _module(monkeypatch, "anthropic.resources")
    _module(monkeypatch, "anthropic.resources.messages",
            Messages=Messages, AsyncMessages=AsyncMessages)
    yield SimpleNamespace(Anthropic=Anthropic, Messages=Messages, AsyncMessages=AsyncMessages)


def _response(model):
    return SimpleNamespace(
        model=model + "-2024-08-06", output_text="Paris.",
        usage=_usage(input_tokens=1200, output_tokens=300,
                     input_tokens_details=_usage(cached_tokens=1000),
                     output_tokens_details=_usage(reasoning_tokens=100)))


class Responses:
    def create(self, *, model, input, instructions=None, **kwargs):
        return _response(model)


@pytest.fixture
def openai_library(monkeypatch):
    """A fake ``openai`` package: chat ``Completions`` and ``Responses`` resource classes."""

    def completion(model):
        return SimpleNamespace(
            model=model, choices=[SimpleNamespace(message=SimpleNamespace(content="42"))],
            usage=_usage(prompt_tokens=30, completion_tokens=2))

    class Completions:
        def create(self, *, model, messages, **kwargs):
            return completion(model)

    class AsyncCompletions:
        async def create(self, *, model, messages, **kwargs):
            return completion(model)

    class AsyncResponses:
        async def create(self, *, model, **kwargs):
            return _response(model)

    class OpenAI:
        def __init__(self):
            self.chat = SimpleNamespace(completions=Completions())
            self.responses = Responses()

    _module(monkeypatch, "openai", OpenAI=OpenAI)
    _module(monkeypatch, "openai.resources")
    _module(monkeypatch, "openai.resources.chat")
    _module(monkeypatch, "openai.resources.chat.completions", Completions=Completions,
            AsyncCompletions=AsyncCompletions)
    _module(monkeypatch, "openai.resources.responses",
            Responses=Responses, AsyncResponses=AsyncResponses)
    yield SimpleNamespace(OpenAI=OpenAI, AsyncCompletions=AsyncCompletions)


def _openai_client(responses):
    """A client with chat completions (unused here) and the given ``responses`` resource."""
    completions = SimpleNamespace(create=lambda **kw: None)
    return SimpleNamespace(chat=SimpleNamespace(completions=completions), responses=responses)


def _llm_calls(server, execution_id):
    vigil.flush(5)
    return [e["payload"] for e in server.events(execution_id) if e["event_type"] == "llm_call"]


def test_instrument_anthropic_without_a_client_records_every_client(sdk, anthropic_library):
    before = anthropic_library.Anthropic()  # made before: instrumented all the same
    assert vigil.instrument_anthropic() is None
    vigil.instrument_anthropic()  # idempotent
    with vigil.wrap("anthropic everywhere") as run:
        for client in (before, anthropic_library.Anthropic()):
            reply = client.messages.create(
                model="claude-sonnet-4", max_tokens=10, system="Be French.",
                messages=[{"role": "user", "content": "Hello"}])
            assert reply.content[0].text == "Bonjour."
    calls = _llm_calls(sdk, run.execution_id)
    assert len(calls) == 2
    assert calls[0]["model"] == "claude-sonnet-4"
    assert (calls[0]["system_prompt"], calls[0]["user_message"]) == ("Be French.", "Hello")
    assert (calls[0]["input_tokens"], calls[0]["cached_input_tokens"]) == (100, 60)
    vigil.uninstrument_anthropic()
    with vigil.wrap("after uninstrument") as run:
        before.messages.create(model="claude-sonnet-4", max_tokens=10, messages=[])
    assert _llm_calls(sdk, run.execution_id) == []


def test_instrument_anthropic_with_a_client_instruments_that_client(sdk, anthropic_library):
    client = anthropic_library.Anthropic()
    assert vigil.instrument_anthropic(client) is client
    other = anthropic_library.Anthropic()
    with vigil.wrap("one client") as run:
        client.messages.create(model="claude-sonnet-4", max_tokens=10, messages=[])
        other.messages.create(model="claude-sonnet-4", max_tokens=10, messages=[])
    assert len(_llm_calls(sdk, run.execution_id)) == 1


def test_instrument_openai_without_a_client_records_chat_and_responses_sync_and_async(
        sdk, openai_library):
    vigil.instrument_openai()
    client = openai_library.OpenAI()

    async def main():
        async with vigil.wrap("openai everywhere") as run:
            client.chat.completions.create(
                model="gpt-4o", messages=[{"role": "user", "content": "Life?"}])
            client.responses.create(
                model="gpt-4o", instructions="One word.", input="Capital of France?")
            await openai_library.AsyncCompletions().create(model="gpt-4o", messages=[])
        return run.execution_id

    try:
        calls = _llm_calls(sdk, asyncio.run(main()))
    finally:
        vigil.uninstrument_openai()
    assert [c["model"] for c in calls] == ["gpt-4o", "gpt-4o-2024-08-06", "gpt-4o"]
    assert calls[1]["system_prompt"] == "One word."
    assert calls[1]["user_message"] == "Capital of France?"
    assert calls[1]["response_text"] == "Paris."


@pytest.mark.parametrize("module,function,package", [
    ("anthropic", "instrument_anthropic", "anthropic"),
    ("openai", "instrument_openai", "openai"),
    ("cohere", "instrument_cohere", "cohere"),
    ("google", "instrument_gemini", "google-genai"),
])
def test_instrument_without_the_library_installed_says_what_to_install(
        monkeypatch, module, function, package):
    monkeypatch.setitem(sys.modules, module, None)  # importing it raises ImportError
    with pytest.raises(ImportError, match="pip install " + package):
        getattr(vigil, function)()


def test_responses_api_calls_are_recorded_with_cached_and_reasoning_tokens_and_priced(sdk):
    from vigil.adapters import openai as vigil_openai

    client = vigil_openai.instrument(_openai_client(Responses()))
    items = [{"role": "user", "content": [{"type": "input_text", "text": "Capital of France?"}]}]
    with vigil.wrap("responses") as run:
        client.responses.create(model="gpt-4o", instructions="One word.", input=items)
    [call] = _llm_calls(sdk, run.execution_id)
    assert call["user_message"] == "Capital of France?"
    assert (call["input_tokens"], call["output_tokens"]) == (1200, 300)
    assert (call["cached_input_tokens"], call["reasoning_tokens"]) == (1000, 100)
    assert call["context_sha256"] == vigil.context_sha256(
        "gpt-4o", [{"role": "system", "content": "One word."}] + items, [])
    # gpt-4o: 2.5 in (cached at half), 10 out (reasoning billed as output).
    assert sdk.patch_for(run.execution_id)["estimated_cost_usd"] == pytest.approx(
        200 * 2.5e-6 + 1000 * 1.25e-6 + 300 * 10e-6)


def test_responses_json_without_output_text_reads_the_message_items(sdk):
    from vigil.adapters import openai as vigil_openai

    class RawResponses:
        def create(self, **kwargs):
            return {"model": "gpt-4o", "usage": {"input_tokens": 3, "output_tokens": 1},
                    "output": [{"type": "reasoning", "content": []},
                               {"type": "message",
                                "content": [{"type": "output_text", "text": "hi"}]}]}

    client = vigil_openai.instrument(_openai_client(RawResponses()))
    with vigil.wrap("raw responses") as run:
        client.responses.create(model="gpt-4o", input="yo")
    [call] = _llm_calls(sdk, run.execution_id)
    assert (call["response_text"], call["user_message"], call["input_tokens"]) == ("hi", "yo", 3)
