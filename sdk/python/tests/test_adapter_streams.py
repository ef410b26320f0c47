"""Streamed calls through the OpenAI and Anthropic adapters, against fakes that decode the
providers' server-sent events the way the real clients do: every chunk reaches the agent unchanged
and one llm_call is recorded when the stream ends, however it ends."""

import asyncio

import pytest

import vigil
from vigil import Budget, VigilHalt
from vigil.adapters import anthropic as vigil_anthropic
from vigil.adapters import openai as vigil_openai

from fake_llm_streams import Anthropic, APIConnectionError, OpenAI

CHAT = dict(model="gpt-4o", messages=[{"role": "system", "content": "Be brief."},
                                      {"role": "user", "content": "Weather in Paris?"}])
WEATHER_CALL = {"id": "call_1", "name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}


def llm_calls(sdk, execution_id):
    vigil.flush(5)
    return [e for e in sdk.events(execution_id) if e["event_type"] == "llm_call"]


def test_openai_chat_stream_passes_every_chunk_and_records_one_call(sdk):
    client = vigil_openai.instrument(OpenAI())
    request = dict(CHAT, stream=True, stream_options={"include_usage": True})
    with vigil.wrap("streamer") as run:
        stream = client.chat.completions.create(**request)
        received = list(stream)
    fake = client.chat.completions.streams[0]
    assert len(received) == len(fake.events) and all(a is b for a, b in zip(received, fake.yielded))
    assert client.chat.completions.calls == [request]  # the request is sent as the agent wrote it
    [event] = llm_calls(sdk, run.execution_id)
    payload = event["payload"]
    assert payload["model"] == "gpt-4o-2024-08-06"
    assert payload["system_prompt"] == "Be brief."
    assert payload["user_message"] == "Weather in Paris?"
    assert (payload["input_tokens"], payload["output_tokens"]) == (12, 9)
    assert payload["cached_input_tokens"] == 4
    assert payload["response_text"] == "Paris is sunny."
    assert payload["tool_calls"] == [WEATHER_CALL]
    assert payload["context_sha256"] == vigil.context_sha256("gpt-4o", CHAT["messages"], None)
    assert payload["status"] == "ok" and event["duration_ms"] >= 0
    assert sdk.patch_for(run.execution_id)["total_tokens_in"] == 12


def test_openai_chat_stream_without_include_usage_records_zero_tokens(sdk):
    client = vigil_openai.instrument(OpenAI())
    with vigil.wrap("no usage") as run:
        text = "".join(getattr(c.choices[0].delta, "content", "") for c in
                       client.chat.completions.create(**CHAT, stream=True))
    assert text == "Paris is sunny."
    assert "stream_options" not in client.chat.completions.calls[0]  # nothing injected
    [event] = llm_calls(sdk, run.execution_id)
    assert (event["payload"]["input_tokens"], event["payload"]["output_tokens"]) == (0, 0)
    assert event["payload"]["response_text"] == "Paris is sunny."


def test_openai_stream_helper_goes_through_create_and_is_recorded(sdk):
    client = vigil_openai.instrument(OpenAI())
    with vigil.wrap("helper") as run:
        with client.chat.completions.stream(
                **CHAT, stream_options={"include_usage": True}) as stream:
            final = stream.get_final_completion()
    assert final.content == "Paris is sunny."
    [event] = llm_calls(sdk, run.execution_id)
    assert (event["payload"]["output_tokens"], event["payload"]["tool_calls"]) == (9, [WEATHER_CALL])


def test_stream_closed_early_records_what_arrived(sdk):
    client = vigil_openai.instrument(OpenAI())
    with vigil.wrap("early close") as run:
        with client.chat.completions.create(**CHAT, stream=True) as stream:
            for chunk in stream:
                if chunk.choices[0].delta.content == "Paris":
                    break
    assert client.chat.completions.streams[0].response.closed
    [event] = llm_calls(sdk, run.execution_id)
    assert event["payload"]["response_text"] == "Paris"
    assert event["payload"]["status"] == "ok"


def test_stream_abandoned_unclosed_is_recorded_once_before_the_execution_ends(sdk):
    client = vigil_openai.instrument(OpenAI())
    with vigil.wrap("abandoned") as run:
        stream = client.chat.completions.create(**CHAT, stream=True,
                                                stream_options={"include_usage": True})
        next(stream), next(stream)
    del stream  # garbage collection after the end must not record it again
    [event] = llm_calls(sdk, run.execution_id)
    assert event["payload"]["response_text"] == "Paris"
    assert sdk.patch_for(run.execution_id)["status"] == "completed"


def test_error_mid_stream_is_recorded_failed_and_propagates(sdk):
    client = vigil_openai.instrument(OpenAI(fail_after=3))
    received = []
    with pytest.raises(APIConnectionError):
        with vigil.wrap("broken stream") as run:
            for chunk in client.chat.completions.create(**CHAT, stream=True):
                received.append(chunk)
    assert len(received) == 3
    [event] = llm_calls(sdk, run.execution_id)
    payload = event["payload"]
    assert payload["status"] == "failed"
    assert payload["exception_type"] == "APIConnectionError"
    assert payload["exception_message"] == "connection reset mid-stream"
    assert payload["response_text"] == "Paris is sunny."
    assert "input_tokens" not in payload
    assert sdk.patch_for(run.execution_id)["status"] == "crashed"


def test_async_openai_stream_is_recorded(sdk):
    client = vigil_openai.instrument(OpenAI(is_async=True))

    @vigil.wrap
    async def agent():
        stream = await client.chat.completions.create(
            **CHAT, stream=True, stream_options={"include_usage": True})
        chunks = [chunk async for chunk in stream]
        return vigil.current_execution().execution_id, chunks

    execution_id, chunks = asyncio.run(agent())
    assert all(a is b for a, b in zip(chunks, client.chat.completions.streams[0].yielded))
    [event] = llm_calls(sdk, execution_id)
    assert event["payload"]["output_tokens"] == 9
    assert event["payload"]["tool_calls"] == [WEATHER_CALL]


def test_async_stream_raising_is_recorded_failed(sdk):
    client = vigil_openai.instrument(OpenAI(fail_after=1, is_async=True))
    ids = []

    @vigil.wrap
    async def agent():
        ids.append(vigil.current_execution().execution_id)
        async for _ in await client.chat.completions.create(**CHAT, stream=True):
            pass

    with pytest.raises(APIConnectionError):
        asyncio.run(agent())
    [event] = llm_calls(sdk, ids[0])
    assert event["payload"]["status"] == "failed"


def test_responses_stream_records_text_function_calls_and_usage(sdk):
    client = vigil_openai.instrument(OpenAI())
    with vigil.wrap("responses") as run:
        kinds = [e.type for e in client.responses.create(
            model="gpt-4o", instructions="Be brief.", input="Find q", stream=True)]
    assert kinds[-1] == "response.completed" and len(kinds) == 7
    [event] = llm_calls(sdk, run.execution_id)
    payload = event["payload"]
    assert (payload["model"], payload["system_prompt"], payload["user_message"]) == (
        "gpt-4o-2024-08-06", "Be brief.", "Find q")
    assert (payload["input_tokens"], payload["output_tokens"], payload["reasoning_tokens"]) == (
        20, 7, 2)
    assert payload["response_text"] == "Let me check."
    assert payload["tool_calls"] == [{"id": "fc_1", "name": "lookup", "arguments": "{\"q\":1}"}]


def test_responses_stream_ending_in_response_failed_is_a_failed_call(sdk):
    client = vigil_openai.instrument(OpenAI())
    client.responses.failed = True
    with vigil.wrap("failed response") as run:
        events = list(client.responses.create(model="gpt-4o", input="Find q", stream=True))
    assert events[-1].type == "response.failed"  # nothing raised: the stream ended normally
    [event] = llm_calls(sdk, run.execution_id)
    payload = event["payload"]
    assert (payload["status"], payload["exception_type"], payload["exception_message"]) == (
        "failed", "ProviderError", "The model crashed")
    assert payload["response_text"] == "Let me check."


def test_streamed_call_is_refused_when_the_step_budget_is_spent(sdk):
    client = vigil_openai.instrument(OpenAI())
    with pytest.raises(VigilHalt) as halted:
        with vigil.wrap("budgeted", budget=Budget(max_steps=1)):
            list(client.chat.completions.create(**CHAT, stream=True))
            client.chat.completions.create(**CHAT, stream=True)
    assert halted.value.trigger == "step_count"
    assert len(client.chat.completions.calls) == 1  # the refused call was never made


def test_stream_that_exhausts_the_token_budget_halts_at_its_end(sdk):
    client = vigil_openai.instrument(OpenAI())
    received = []
    with pytest.raises(VigilHalt) as halted:
        with vigil.wrap("tokens", budget=Budget(max_tokens_out=5)):
            for chunk in client.chat.completions.create(
                    **CHAT, stream=True, stream_options={"include_usage": True}):
                received.append(chunk)
    assert halted.value.trigger == "token_total"
    assert len(received) == 8  # every chunk arrived before the halt


def test_stream_outside_an_execution_is_the_clients_own(sdk):
    client = vigil_openai.instrument(OpenAI())
    stream = client.chat.completions.create(**CHAT, stream=True)
    assert stream is client.chat.completions.streams[0]


# ---------------------------------------------------------------- Anthropic

MESSAGES = dict(model="claude-sonnet-4", max_tokens=100, system="Be brief.",
                messages=[{"role": "user", "content": "Weather in Paris?"}])
TOOL_USE = {"id": "toolu_1", "name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}


def assert_anthropic_call(payload, text="Checking the weather."):
    assert payload["model"] == "claude-sonnet-4-20250514"
    assert (payload["system_prompt"], payload["user_message"]) == ("Be brief.", "Weather in Paris?")
    # message_start's input plus its cache reads; message_delta's cumulative output.
    assert (payload["input_tokens"], payload["cached_input_tokens"]) == (30, 5)
    assert payload["output_tokens"] == 30
    assert payload["response_text"] == text
    assert payload["tool_calls"] == [TOOL_USE]


def test_anthropic_create_stream_is_recorded(sdk):
    client = vigil_anthropic.instrument(Anthropic())
    with vigil.wrap("claude stream") as run:
        events = list(client.messages.create(**MESSAGES, stream=True))
    assert [e.type for e in events][:2] == ["message_start", "content_block_start"]
    assert all(a is b for a, b in zip(events, client.messages.streams[0].yielded))
    [event] = llm_calls(sdk, run.execution_id)
    assert_anthropic_call(event["payload"])


def test_anthropic_message_stream_helpers_work_and_record_one_call(sdk):
    client = vigil_anthropic.instrument(Anthropic())
    with vigil.wrap("message stream") as run:
        with client.messages.stream(**MESSAGES) as stream:
            text = "".join(stream.text_stream)
            final = stream.get_final_message()
    assert text == "Checking the weather."
    assert final.id == "msg_1"
    assert client.messages.manager.exited
    [event] = llm_calls(sdk, run.execution_id)
    assert_anthropic_call(event["payload"])


def test_anthropic_message_stream_left_early_records_what_arrived(sdk):
    client = vigil_anthropic.instrument(Anthropic())
    with vigil.wrap("left early") as run:
        with client.messages.stream(**MESSAGES) as stream:
            for event in stream:
                if event.type == "text":
                    break
    assert stream.response.closed
    [event] = llm_calls(sdk, run.execution_id)
    assert event["payload"]["response_text"] == "Checking "
    assert event["payload"]["input_tokens"] == 30


def test_async_anthropic_message_stream_is_recorded(sdk):
    client = vigil_anthropic.instrument(Anthropic(is_async=True))

    @vigil.wrap
    async def agent():
        async with client.messages.stream(**MESSAGES) as stream:
            text = "".join([t async for t in stream.text_stream])
            final = await stream.get_final_message()
        return vigil.current_execution().execution_id, text, final

    execution_id, text, final = asyncio.run(agent())
    assert (text, final.id) == ("Checking the weather.", "msg_1")
    [event] = llm_calls(sdk, execution_id)
    assert_anthropic_call(event["payload"])


def test_anthropic_message_stream_raising_is_recorded_failed(sdk):
    client = vigil_anthropic.instrument(Anthropic(fail_after=4))
    with pytest.raises(APIConnectionError):
        with vigil.wrap("broken") as run:
            with client.messages.stream(**MESSAGES) as stream:
                stream.until_done()
    [event] = llm_calls(sdk, run.execution_id)
    assert event["payload"]["status"] == "failed"
    assert event["payload"]["response_text"] == "Checking the weather."


def test_anthropic_stream_is_refused_after_a_halt(sdk):
    client = vigil_anthropic.instrument(Anthropic())
    with pytest.raises(VigilHalt):
        with vigil.wrap("budgeted", budget=Budget(max_steps=1)):
            with client.messages.stream(**MESSAGES) as stream:
                stream.until_done()
            client.messages.stream(**MESSAGES)
    assert len(client.messages.calls) == 1


def test_uninstrument_restores_stream(sdk):
    client = vigil_anthropic.instrument(Anthropic())
    vigil_anthropic.uninstrument(client)
    with vigil.wrap("plain"):
        with client.messages.stream(**MESSAGES) as stream:
            assert type(stream).__name__ == "MessageStream"


def test_emit_llm_call_sends_the_tool_calls_given(sdk):
    with vigil.wrap("by hand") as run:
        vigil.emit_llm_call("gpt-4o", input_tokens=3, output_tokens=2, tool_calls=[WEATHER_CALL])
        vigil.emit_llm_call("gpt-4o", input_tokens=3, output_tokens=2, tool_calls=[])
    with_calls, without = llm_calls(sdk, run.execution_id)
    assert with_calls["payload"]["tool_calls"] == [WEATHER_CALL]
    assert "tool_calls" not in without["payload"]  # none asked for: the field is left out
