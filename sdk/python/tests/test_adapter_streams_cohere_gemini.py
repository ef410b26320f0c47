"""Streamed calls through the Gemini (``generate_content_stream``) and Cohere (``chat_stream``)
adapters, against fakes with the chunk and event shapes of ``google-genai`` and ``cohere`` (neither
library is installed here): every chunk reaches the agent unchanged and one llm_call is recorded when
the stream ends."""

import asyncio

import pytest

import vigil
from vigil.adapters import cohere as vigil_cohere
from vigil.adapters import gemini as vigil_gemini

from fake_llm_streams import APIConnectionError, ns

# ---------------------------------------------------------------- Gemini


def gemini_chunks():
    def chunk(parts, **usage):
        return ns({"model_version": "gemini-2.5-flash-001",
                   "candidates": [{"content": {"role": "model", "parts": parts}}],
                   "usage_metadata": dict({"prompt_token_count": 40}, **usage)})
    call = {"function_call": {"id": "fc1", "name": "get_weather", "args": {"city": "Paris"}}}
    return [chunk([{"text": "It is "}], candidates_token_count=2),
            chunk([{"text": "sunny."}], candidates_token_count=5),
            chunk([call], candidates_token_count=9, thoughts_token_count=3)]


def chunks_of(chunks, yielded, fail_after=None):
    for i, chunk in enumerate(chunks):
        if i == fail_after:
            raise APIConnectionError("stream reset")
        yielded.append(chunk)
        yield chunk


class Models:
    """``google.genai.models.Models``: ``generate_content_stream`` returns a generator."""

    def __init__(self, fail_after=None):
        self.yielded = []
        self.fail_after = fail_after

    def generate_content(self, *, model, contents, config=None):
        raise AssertionError("not used here")

    def generate_content_stream(self, *, model, contents, config=None):
        return chunks_of(gemini_chunks(), self.yielded, self.fail_after)


class AsyncModels(Models):
    """``AsyncModels``: awaiting ``generate_content_stream`` gives an async iterator."""

    async def generate_content_stream(self, *, model, contents, config=None):
        async def chunks():
            for chunk in chunks_of(gemini_chunks(), self.yielded, self.fail_after):
                await asyncio.sleep(0)
                yield chunk
        return chunks()


class GenAIClient:
    def __init__(self, fail_after=None):
        self.models = Models(fail_after)
        self.aio = ns({})
        self.aio.models = AsyncModels(fail_after)


WEATHER = {"id": "fc1", "name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}


def payloads(sdk, execution_id):
    vigil.flush(5)
    return [e["payload"] for e in sdk.events(execution_id) if e["event_type"] == "llm_call"]


def test_gemini_stream_passes_chunks_and_records_text_calls_and_last_usage(sdk):
    client = vigil_gemini.instrument(GenAIClient())
    with vigil.wrap("gemini stream") as run:
        received = list(client.models.generate_content_stream(
            model="gemini-2.5-flash", contents="Weather in Paris?"))
    assert len(received) == 3 and all(a is b for a, b in zip(received, client.models.yielded))
    [payload] = payloads(sdk, run.execution_id)
    assert (payload["model"], payload["user_message"]) == ("gemini-2.5-flash-001", "Weather in Paris?")
    assert payload["response_text"] == "It is sunny."
    # The last chunk's usage: thinking outside candidates_token_count, so the output is their sum.
    assert (payload["input_tokens"], payload["output_tokens"], payload["reasoning_tokens"]) == (
        40, 12, 3)
    assert payload["tool_calls"] == [WEATHER]


def test_async_gemini_stream_is_recorded_and_a_failing_one_is_failed(sdk):
    client = vigil_gemini.instrument(GenAIClient())
    broken = vigil_gemini.instrument(GenAIClient(fail_after=1))

    async def main():
        async with vigil.wrap("gemini async") as run:
            stream = await client.aio.models.generate_content_stream(
                model="gemini-2.5-pro", contents="Hi")
            texts = [c.candidates[0].content.parts[0] async for c in stream]
            with pytest.raises(APIConnectionError):
                async for _ in await broken.aio.models.generate_content_stream(
                        model="gemini-2.5-pro", contents="Again"):
                    pass
        return run.execution_id, texts

    execution_id, texts = asyncio.run(main())
    assert len(texts) == 3
    ok, failed = payloads(sdk, execution_id)
    assert (ok["status"], ok["output_tokens"]) == ("ok", 12)
    assert (failed["status"], failed["exception_type"], failed["response_text"]) == (
        "failed", "APIConnectionError", "It is ")


# ---------------------------------------------------------------- Cohere


def cohere_v2_events():
    def delta(kind, message=None, index=0, **extra):
        return ns(dict({"type": kind, "index": index, "delta": dict({"message": message}, **extra)}))
    call = {"id": "tc1", "type": "function",
            "function": {"name": "get_weather", "arguments": ""}}
    usage = {"billed_units": {"input_tokens": 30, "output_tokens": 8},
             "tokens": {"input_tokens": 35, "output_tokens": 8}}
    return [ns({"type": "message-start", "id": "m1", "delta": {"message": {"role": "assistant"}}}),
            delta("content-delta", {"content": {"text": "Let me "}}),
            delta("content-delta", {"content": {"text": "look."}}),
            delta("tool-call-start", {"tool_calls": call}),
            delta("tool-call-delta", {"tool_calls": {"function": {"arguments": "{\"city\": "}}}),
            delta("tool-call-delta", {"tool_calls": {"function": {"arguments": "\"Paris\"}"}}}),
            delta("tool-call-end"),
            delta("message-end", None, finish_reason="TOOL_CALL", usage=usage)]


class ClientV2:
    """``cohere.ClientV2``: ``chat_stream`` returns a generator of events."""

    def __init__(self, fail_after=None):
        self.yielded = []
        self.fail_after = fail_after

    def chat(self, *, model, messages, **kwargs):
        raise AssertionError("not used here")

    def chat_stream(self, *, model, messages, **kwargs):
        return chunks_of(cohere_v2_events(), self.yielded, self.fail_after)


class AsyncClientV2(ClientV2):
    """``cohere.AsyncClientV2``: ``chat_stream`` is an async generator (not awaited)."""

    async def chat_stream(self, *, model, messages, **kwargs):
        for event in chunks_of(cohere_v2_events(), self.yielded, self.fail_after):
            await asyncio.sleep(0)
            yield event


COHERE_REQUEST = dict(model="command-a-03-2025", messages=[
    {"role": "system", "content": "Be brief."}, {"role": "user", "content": "Weather in Paris?"}])


def assert_cohere_call(payload):
    assert (payload["model"], payload["system_prompt"]) == ("command-a-03-2025", "Be brief.")
    assert (payload["input_tokens"], payload["output_tokens"]) == (35, 8)
    assert payload["response_text"] == "Let me look."
    assert payload["tool_calls"] == [dict(WEATHER, id="tc1")]


def test_cohere_v2_chat_stream_sync_and_async_are_recorded(sdk):
    client = vigil_cohere.instrument(ClientV2())
    aclient = vigil_cohere.instrument(AsyncClientV2())

    async def main():
        async with vigil.wrap("cohere stream") as run:
            received = list(client.chat_stream(**COHERE_REQUEST))
            areceived = [e async for e in aclient.chat_stream(**COHERE_REQUEST)]
        return run.execution_id, received, areceived

    execution_id, received, areceived = asyncio.run(main())
    assert all(a is b for a, b in zip(received, client.yielded)) and len(received) == 8
    assert all(a is b for a, b in zip(areceived, aclient.yielded)) and len(areceived) == 8
    first, second = payloads(sdk, execution_id)
    assert_cohere_call(first)
    assert_cohere_call(second)


def test_cohere_v1_chat_stream_takes_tokens_from_stream_end(sdk):
    class Client:
        def chat(self, **kwargs):
            raise AssertionError("not used here")

        def chat_stream(self, *, message, model=None, **kwargs):
            end = {"text": "Hello there.", "meta": {"tokens": {"input_tokens": 6, "output_tokens": 3}},
                   "tool_calls": [{"name": "greet", "parameters": {"who": "you"}}]}
            return iter([ns({"event_type": "stream-start"}),
                         ns({"event_type": "text-generation", "text": "Hello "}),
                         ns({"event_type": "text-generation", "text": "there."}),
                         ns({"event_type": "stream-end", "response": end})])

    client = vigil_cohere.instrument(Client())
    with vigil.wrap("cohere v1") as run:
        kinds = [e.event_type for e in client.chat_stream(message="Hi", model="command-r")]
    assert kinds == ["stream-start", "text-generation", "text-generation", "stream-end"]
    [payload] = payloads(sdk, run.execution_id)
    assert (payload["user_message"], payload["response_text"]) == ("Hi", "Hello there.")
    assert (payload["input_tokens"], payload["output_tokens"]) == (6, 3)
    assert payload["tool_calls"] == [{"name": "greet", "arguments": "{\"who\": \"you\"}"}]


def test_cohere_stream_left_early_is_recorded_once_when_the_execution_ends(sdk):
    client = vigil_cohere.instrument(ClientV2())
    with vigil.wrap("left early") as run:
        for event in client.chat_stream(**COHERE_REQUEST):
            if event.type == "content-delta":
                break
    [payload] = payloads(sdk, run.execution_id)
    assert (payload["status"], payload["response_text"]) == ("ok", "Let me ")
