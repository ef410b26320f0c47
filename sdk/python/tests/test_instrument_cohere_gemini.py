"""``vigil.instrument_cohere()`` and ``vigil.instrument_gemini()`` (the Mesedi SDK's names) and
their adapters, against fakes of the client libraries: small modules with the import paths and call
shapes of ``cohere`` and ``google-genai`` (neither library is installed here)."""

import asyncio
from types import SimpleNamespace

import pytest

import vigil
from test_instrument import _llm_calls, _module
from vigil import Budget, VigilHalt


def _gemini_reply(model, **usage):
    counts = dict(prompt_token_count=1200, candidates_token_count=200,
                  cached_content_token_count=1000, thoughts_token_count=100)
    counts.update(usage)
    return SimpleNamespace(model_version=model + "-001", text="Paris.",
                           usage_metadata=SimpleNamespace(**counts))


class Models:
    """``google.genai.models.Models``: counts the calls that reach the API."""
    calls = 0

    def generate_content(self, *, model, contents, config=None):
        Models.calls += 1
        return _gemini_reply(model)


@pytest.fixture
def genai_library(monkeypatch):
    """A fake ``google.genai``: ``Models``/``AsyncModels`` and a ``Client`` with ``models`` and
    ``aio.models``, as the library has them."""

    class AsyncModels:
        async def generate_content(self, *, model, contents, config=None):
            return _gemini_reply(model, thoughts_token_count=None)

    class Client:
        def __init__(self):
            self.models = Models()
            self.aio = SimpleNamespace(models=AsyncModels())

    Models.calls = 0
    _module(monkeypatch, "google")
    _module(monkeypatch, "google.genai", Client=Client)
    _module(monkeypatch, "google.genai.models", Models=Models, AsyncModels=AsyncModels)
    yield SimpleNamespace(Client=Client)
    vigil.uninstrument_gemini()


GEMINI_REQUEST = dict(
    model="gemini-2.5-flash",
    contents=[SimpleNamespace(role="user", parts=[SimpleNamespace(text="Capital of France?")]),
              SimpleNamespace(role="model", parts=[SimpleNamespace(text="Which France?")]),
              "The country."],
    config=SimpleNamespace(system_instruction="One word.", tools=None))


def test_instrument_gemini_without_a_client_records_sync_and_async_calls(sdk, genai_library):
    before = genai_library.Client()  # made before: instrumented all the same
    assert vigil.instrument_gemini() is None
    vigil.instrument_gemini()  # idempotent

    async def main():
        async with vigil.wrap("gemini everywhere") as run:
            assert before.models.generate_content(**GEMINI_REQUEST).text == "Paris."
            await genai_library.Client().aio.models.generate_content(
                model="gemini-2.5-pro", contents="Hello")
        return run.execution_id

    first, second = _llm_calls(sdk, asyncio.run(main()))
    assert first["model"] == "gemini-2.5-flash-001"
    assert (first["system_prompt"], first["user_message"]) == ("One word.", "The country.")
    # Thinking is outside candidates_token_count: the output is their sum, thinking its part.
    assert (first["input_tokens"], first["cached_input_tokens"]) == (1200, 1000)
    assert (first["output_tokens"], first["reasoning_tokens"]) == (300, 100)
    assert first["response_text"] == "Paris."
    assert first["context_sha256"] == vigil.context_sha256("gemini-2.5-flash", [
        {"role": "system", "content": "One word."},
        {"role": "user", "content": "Capital of France?"},
        {"role": "model", "content": "Which France?"},
        {"role": "user", "content": "The country."}], [])
    assert (second["model"], second["user_message"]) == ("gemini-2.5-pro-001", "Hello")
    assert (second["output_tokens"], second.get("reasoning_tokens")) == (200, None)
    vigil.uninstrument_gemini()
    with vigil.wrap("after uninstrument") as run:
        before.models.generate_content(**GEMINI_REQUEST)
    assert _llm_calls(sdk, run.execution_id) == []


def test_instrument_gemini_with_a_client_instruments_that_client_and_reads_raw_json(
        sdk, genai_library):
    class RawModels:
        def generate_content(self, **kwargs):
            return {"usage_metadata": {"prompt_token_count": 7, "candidates_token_count": 2},
                    "candidates": [{"content": {"role": "model", "parts": [
                        {"text": "thinking...", "thought": True}, {"text": "Hi"}]}}]}

    client = SimpleNamespace(models=RawModels())
    assert vigil.instrument_gemini(client) is client
    other = genai_library.Client()
    with vigil.wrap("one client") as run:
        client.models.generate_content(model="gemini-2.0-flash", contents="Yo")
        other.models.generate_content(**GEMINI_REQUEST)
    [call] = _llm_calls(sdk, run.execution_id)
    assert (call["model"], call["user_message"], call["response_text"]) == (
        "gemini-2.0-flash", "Yo", "Hi")
    assert (call["input_tokens"], call["output_tokens"]) == (7, 2)


def test_instrumented_gemini_refuses_the_call_that_would_exceed_max_steps(sdk, genai_library):
    vigil.instrument_gemini()
    client = genai_library.Client()
    with pytest.raises(VigilHalt) as caught:
        with vigil.wrap("budgeted", budget=Budget(max_steps=2)):
            for _ in range(5):
                client.models.generate_content(**GEMINI_REQUEST)
    assert caught.value.trigger == "step_count"
    assert Models.calls == 2  # the third call was never paid for


def _cohere_v2_reply(model):
    return SimpleNamespace(
        id="c-1", finish_reason="COMPLETE",
        message=SimpleNamespace(role="assistant", content=[SimpleNamespace(type="text", text="4")]),
        usage=SimpleNamespace(billed_units=SimpleNamespace(input_tokens=9, output_tokens=1),
                              tokens=SimpleNamespace(input_tokens=215, output_tokens=1),
                              cached_tokens=200))


@pytest.fixture
def cohere_library(monkeypatch):
    """A fake ``cohere``: the v2 and v1 clients, sync and async, each with its ``chat``."""

    class ClientV2:
        def chat(self, *, model, messages, **kwargs):
            if model == "broken":
                raise RuntimeError("429 too many requests")
            return _cohere_v2_reply(model)

    class AsyncClientV2:
        async def chat(self, *, model, messages, **kwargs):
            return _cohere_v2_reply(model)

    class Client:  # v1: the reply is ``text``, the counts are in ``meta``
        def chat(self, *, message, model=None, preamble=None, chat_history=None, **kwargs):
            return SimpleNamespace(text="Bonjour.", meta=SimpleNamespace(
                billed_units=SimpleNamespace(input_tokens=12, output_tokens=3)))

    _module(monkeypatch, "cohere", ClientV2=ClientV2, AsyncClientV2=AsyncClientV2, Client=Client)
    yield SimpleNamespace(ClientV2=ClientV2, AsyncClientV2=AsyncClientV2, Client=Client)
    vigil.uninstrument_cohere()


def test_instrument_cohere_without_a_client_records_v2_v1_and_async_chats(sdk, cohere_library):
    assert vigil.instrument_cohere() is None
    messages = [{"role": "system", "content": "Answer with a digit."},
                {"role": "user", "content": [{"type": "text", "text": "2+2?"}]}]

    async def main():
        async with vigil.wrap("cohere everywhere") as run:
            cohere_library.ClientV2().chat(model="command-a-03-2025", messages=messages)
            cohere_library.Client().chat(model="command-r", preamble="Be French.",
                                         chat_history=[{"role": "USER", "message": "Hi"},
                                                       {"role": "CHATBOT", "message": "Salut"}],
                                         message="Hello")
            await cohere_library.AsyncClientV2().chat(model="command-r7b", messages=messages)
        return run.execution_id

    v2, v1, v2_async = _llm_calls(sdk, asyncio.run(main()))
    assert (v2["model"], v2["system_prompt"], v2["user_message"]) == (
        "command-a-03-2025", "Answer with a digit.", "2+2?")
    # The tokens the model read, not the billed units, and the cached part when reported.
    assert (v2["input_tokens"], v2["output_tokens"], v2["cached_input_tokens"]) == (215, 1, 200)
    assert v2["response_text"] == "4"
    assert v2["context_sha256"] == vigil.context_sha256("command-a-03-2025", messages, [])
    assert (v1["system_prompt"], v1["user_message"], v1["response_text"]) == (
        "Be French.", "Hello", "Bonjour.")
    assert (v1["input_tokens"], v1["output_tokens"]) == (12, 3)
    assert v2_async["model"] == "command-r7b"


def test_instrument_cohere_with_a_client_records_failures_and_only_that_client(
        sdk, cohere_library):
    client = cohere_library.ClientV2()
    assert vigil.instrument_cohere(client) is client
    v1 = cohere_library.Client()
    v1.v2 = cohere_library.ClientV2()  # a v1 client reaches the v2 API as ``client.v2``
    vigil.instrument_cohere(v1)
    with vigil.wrap("one client") as run:
        cohere_library.ClientV2().chat(model="command-r", messages=[])
        with pytest.raises(RuntimeError, match="429"):
            client.chat(model="broken", messages=[{"role": "user", "content": "x"}])
        v1.v2.chat(model="command-a-03-2025", messages=[])
    failed, through_v1 = _llm_calls(sdk, run.execution_id)
    assert (failed["model"], failed["status"], failed["exception_type"]) == (
        "broken", "failed", "RuntimeError")
    assert through_v1["model"] == "command-a-03-2025"
    vigil.uninstrument_cohere()  # the class was never patched: nothing to undo, no error
    from vigil.adapters import cohere as vigil_cohere
    vigil_cohere.uninstrument(client)
    with vigil.wrap("after uninstrument") as run:
        client.chat(model="command-r", messages=[])
    assert _llm_calls(sdk, run.execution_id) == []

