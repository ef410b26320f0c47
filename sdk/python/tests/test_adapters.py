"""The adapters against small fakes with the call shapes of the real Anthropic and OpenAI clients
(neither library is installed here)."""

import asyncio
from types import SimpleNamespace

import pytest

import vigil
from vigil import Budget, VigilHalt
from vigil.adapters import anthropic as vigil_anthropic
from vigil.adapters import openai as vigil_openai


class APIStatusError(Exception):
    pass


# ---------------------------------------------------------------- Anthropic-shaped fakes

class Messages:
    def __init__(self, fail=False):
        self.calls = 0
        self.fail = fail

    def create(self, *, model, max_tokens, messages, system=None, **kwargs):
        self.calls += 1
        if self.fail:
            raise APIStatusError("overloaded_error")
        return SimpleNamespace(
            id="msg_1", type="message", role="assistant", model=model + "-20250101",
            content=[SimpleNamespace(type="text", text="Paris."),
                     SimpleNamespace(type="tool_use", id="t1", name="x", input={})],
            stop_reason="end_turn",
            usage=SimpleNamespace(input_tokens=21, output_tokens=4),
        )


class AsyncMessages(Messages):
    async def create(self, **kwargs):
        await asyncio.sleep(0)
        return Messages.create(self, **kwargs)


class Anthropic:
    def __init__(self, fail=False):
        self.messages = Messages(fail)


class AsyncAnthropic:
    def __init__(self):
        self.messages = AsyncMessages()


ANTHROPIC_REQUEST = dict(
    model="claude-haiku-4-5", max_tokens=100, system=[{"type": "text", "text": "Be brief."}],
    messages=[{"role": "user", "content": "Capital of France?"},
              {"role": "assistant", "content": "Let me think."},
              {"role": "user", "content": [{"type": "text", "text": "Just the city."}]}],
)


def test_anthropic_call_is_recorded_with_model_prompts_tokens_and_text(sdk):
    client = vigil_anthropic.instrument(Anthropic())
    with vigil.wrap("anthropic agent") as run:
        reply = client.messages.create(**ANTHROPIC_REQUEST)
    assert reply.content[0].text == "Paris."
    vigil.flush(5)
    event = sdk.events(run.execution_id)[0]
    assert event["event_type"] == "llm_call"
    assert event["duration_ms"] >= 0
    # The digest covers the requested model and every input message, the system prompt first.
    digest = vigil.context_sha256(
        "claude-haiku-4-5", [{"role": "system", "content": ANTHROPIC_REQUEST["system"]}]
        + ANTHROPIC_REQUEST["messages"], [])
    assert event["payload"] == {
        "model": "claude-haiku-4-5-20250101", "system_prompt": "Be brief.",
        "user_message": "Just the city.", "status": "ok", "input_tokens": 21, "output_tokens": 4,
        "response_text": "Paris.", "context_sha256": digest,
        "tool_calls": [{"id": "t1", "name": "x", "arguments": "{}"}]}
    end = sdk.patch_for(run.execution_id)
    assert (end["total_tokens_in"], end["total_tokens_out"]) == (21, 4)
    assert end["estimated_cost_usd"] == pytest.approx(21e-6 + 4 * 5e-6)


def test_async_anthropic_client_is_recorded(sdk):
    client = vigil_anthropic.instrument(AsyncAnthropic())

    @vigil.wrap
    async def agent():
        reply = await client.messages.create(**ANTHROPIC_REQUEST)
        return vigil.current_execution().execution_id, reply

    execution_id, reply = asyncio.run(agent())
    assert reply.usage.output_tokens == 4
    vigil.flush(5)
    assert sdk.events(execution_id)[0]["payload"]["input_tokens"] == 21


def test_anthropic_failure_is_recorded_and_the_error_propagates(sdk):
    client = vigil_anthropic.instrument(Anthropic(fail=True))
    with pytest.raises(APIStatusError):
        with vigil.wrap("failing") as run:
            client.messages.create(**ANTHROPIC_REQUEST)
    vigil.flush(5)
    payload = sdk.events(run.execution_id)[0]["payload"]
    assert payload["status"] == "failed"
    assert payload["exception_type"] == "APIStatusError"
    assert payload["exception_message"] == "overloaded_error"
    assert payload["model"] == "claude-haiku-4-5"
    assert "input_tokens" not in payload
    assert sdk.patch_for(run.execution_id)["status"] == "crashed"


def test_instrumented_client_outside_an_execution_records_nothing(sdk):
    client = vigil_anthropic.instrument(Anthropic())
    client.messages.create(**ANTHROPIC_REQUEST)
    vigil.flush(1)
    assert sdk.ingestion() == []
    assert client.messages.calls == 1


def test_instrument_is_idempotent_and_reversible(sdk):
    client = Anthropic()
    vigil_anthropic.instrument(client)
    vigil_anthropic.instrument(client)
    with vigil.wrap("once") as run:
        client.messages.create(**ANTHROPIC_REQUEST)
    vigil_anthropic.uninstrument(client)
    with vigil.wrap("not recorded") as run2:
        client.messages.create(**ANTHROPIC_REQUEST)
    vigil.flush(5)
    assert len(sdk.events(run.execution_id)) == 1
    assert sdk.events(run2.execution_id) == []


def test_adapter_refuses_the_call_that_would_exceed_max_steps(sdk):
    client = vigil_anthropic.instrument(Anthropic())
    with pytest.raises(VigilHalt) as caught:
        with vigil.wrap("budgeted", budget=Budget(max_steps=2)):
            for _ in range(5):
                client.messages.create(**ANTHROPIC_REQUEST)
    assert caught.value.trigger == "step_count"
    assert client.messages.calls == 2  # the third call was never paid for
    vigil.flush(5)
    assert sdk.patch_for(caught.value.execution_id)["crash_signature"] == "halt:step_count"


def test_adapter_halts_after_the_call_that_exhausts_the_token_budget(sdk):
    client = vigil_anthropic.instrument(Anthropic())
    with pytest.raises(VigilHalt) as caught:
        with vigil.wrap("tokens", budget=Budget(max_tokens_in=30)):
            client.messages.create(**ANTHROPIC_REQUEST)  # 21
            client.messages.create(**ANTHROPIC_REQUEST)  # 42 > 30: halts after recording
            client.messages.create(**ANTHROPIC_REQUEST)
    assert caught.value.trigger == "token_total"
    assert client.messages.calls == 2


# ---------------------------------------------------------------- OpenAI-shaped fakes

class Completions:
    def __init__(self, fail=False):
        self.fail = fail

    def create(self, *, model, messages, **kwargs):
        if self.fail:
            raise TimeoutError("Request timed out.")
        return SimpleNamespace(
            id="chatcmpl-1", object="chat.completion", model=model + "-2024-08-06",
            choices=[SimpleNamespace(index=0, finish_reason="stop",
                                     message=SimpleNamespace(role="assistant", content="42"))],
            usage=SimpleNamespace(prompt_tokens=30, completion_tokens=2, total_tokens=32),
        )


class AsyncCompletions(Completions):
    async def create(self, **kwargs):
        return Completions.create(self, **kwargs)


class OpenAI:
    def __init__(self, fail=False, completions=None):
        self.chat = SimpleNamespace(completions=completions or Completions(fail))


OPENAI_REQUEST = dict(
    model="gpt-4o",
    messages=[{"role": "system", "content": "You are terse."},
              {"role": "developer", "content": [{"type": "text", "text": "Answer with a number."}]},
              {"role": "user", "content": "Meaning of life?"}],
)


def test_openai_call_is_recorded_with_model_prompts_tokens_and_text(sdk):
    client = vigil_openai.instrument(OpenAI())
    with vigil.wrap("openai agent") as run:
        completion = client.chat.completions.create(**OPENAI_REQUEST)
    assert completion.choices[0].message.content == "42"
    vigil.flush(5)
    payload = sdk.events(run.execution_id)[0]["payload"]
    assert payload == {
        "model": "gpt-4o-2024-08-06", "system_prompt": "You are terse.\nAnswer with a number.",
        "user_message": "Meaning of life?", "status": "ok", "input_tokens": 30, "output_tokens": 2,
        "response_text": "42",
        "context_sha256": vigil.context_sha256("gpt-4o", OPENAI_REQUEST["messages"], [])}
    end = sdk.patch_for(run.execution_id)
    assert end["estimated_cost_usd"] == pytest.approx(30 * 2.5e-6 + 2 * 10e-6)


def test_openai_dict_responses_are_read_too(sdk):
    class DictCompletions:
        def create(self, **kwargs):
            return {"model": "gpt-4o-mini", "choices": [{"message": {"content": "hi"}}],
                    "usage": {"prompt_tokens": 5, "completion_tokens": 1}}

    client = vigil_openai.instrument(OpenAI(completions=DictCompletions()))
    with vigil.wrap("dicts") as run:
        client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "yo"}])
    vigil.flush(5)
    payload = sdk.events(run.execution_id)[0]["payload"]
    assert (payload["input_tokens"], payload["output_tokens"], payload["response_text"]) == (5, 1, "hi")


def test_async_openai_client_is_recorded(sdk):
    client = vigil_openai.instrument(OpenAI(completions=AsyncCompletions()))

    async def main():
        async with vigil.wrap("async openai") as run:
            await client.chat.completions.create(**OPENAI_REQUEST)
        return run.execution_id

    execution_id = asyncio.run(main())
    vigil.flush(5)
    assert sdk.events(execution_id)[0]["payload"]["output_tokens"] == 2


def test_openai_failure_is_recorded_and_the_error_propagates(sdk):
    client = vigil_openai.instrument(OpenAI(fail=True))
    with vigil.wrap("openai failure") as run:
        with pytest.raises(TimeoutError):
            client.chat.completions.create(**OPENAI_REQUEST)
    vigil.flush(5)
    payload = sdk.events(run.execution_id)[0]["payload"]
    assert (payload["status"], payload["exception_type"]) == ("failed", "TimeoutError")
    assert sdk.patch_for(run.execution_id)["status"] == "completed"


def test_adapters_do_not_import_the_client_libraries():
    import sys

    for library in ("anthropic", "openai", "cohere", "google.genai"):
        assert library not in sys.modules


def test_a_repeated_request_has_the_same_digest_and_a_grown_one_another(sdk):
    client = vigil_openai.instrument(OpenAI())
    ask = [{"role": "user", "content": "Meaning of life?"}]
    grown = ask + [{"role": "assistant", "content": "42"},
                   {"role": "user", "content": "Meaning of life?"}]
    tools = [{"type": "function", "function": {"name": "think", "parameters": {"type": "object"}}}]
    with vigil.wrap("digests") as run:
        client.chat.completions.create(model="gpt-4o", messages=ask, tools=tools)
        client.chat.completions.create(model="gpt-4o", messages=ask, tools=tools)
        client.chat.completions.create(model="gpt-4o", messages=grown, tools=tools)
    vigil.flush(5)
    payloads = [e["payload"] for e in sdk.events(run.execution_id)]
    digests = [p["context_sha256"] for p in payloads]
    assert digests[0] == digests[1] == vigil.context_sha256("gpt-4o", ask, tools)
    assert digests[2] != digests[1]
    assert payloads[2]["user_message"] == payloads[0]["user_message"]  # the same last message


def test_a_request_json_cannot_represent_is_recorded_without_a_digest(sdk):
    client = vigil_openai.instrument(OpenAI())
    with vigil.wrap("odd") as run:
        client.chat.completions.create(model="gpt-4o",
                                       messages=[{"role": "user", "content": object()}])
    vigil.flush(5)
    payload = sdk.events(run.execution_id)[0]["payload"]
    assert "context_sha256" not in payload
    assert payload["status"] == "ok"


def test_openai_cached_and_reasoning_tokens_are_reported_and_priced(sdk):
    class ReasoningCompletions:
        def create(self, **kwargs):
            return {"model": "o1-2024-12-17", "choices": [{"message": {"content": "4"}}],
                    "usage": {"prompt_tokens": 1000, "completion_tokens": 500,
                              "prompt_tokens_details": {"cached_tokens": 800},
                              "completion_tokens_details": {"reasoning_tokens": 450}}}

    client = vigil_openai.instrument(OpenAI(completions=ReasoningCompletions()))
    with vigil.wrap("reasoner") as run:
        client.chat.completions.create(model="o1", messages=[{"role": "user", "content": "2+2"}])
    vigil.flush(5)
    payload = sdk.events(run.execution_id)[0]["payload"]
    assert (payload["cached_input_tokens"], payload["reasoning_tokens"]) == (800, 450)
    # o1: 15 in, 60 out per million; OpenAI bills cached input at half, reasoning as output.
    end = sdk.patch_for(run.execution_id)
    assert end["estimated_cost_usd"] == pytest.approx(200 * 15e-6 + 800 * 7.5e-6 + 500 * 60e-6)


def test_anthropic_cache_reads_and_writes_count_as_input_and_reads_are_priced_cheaper(sdk):
    class CachedMessages:
        def create(self, **kwargs):
            return {"model": "claude-sonnet-4-5", "content": [{"type": "text", "text": "ok"}],
                    "usage": {"input_tokens": 100, "output_tokens": 10,
                              "cache_creation_input_tokens": 200, "cache_read_input_tokens": 700}}

    client = vigil_anthropic.instrument(SimpleNamespace(messages=CachedMessages()))
    with vigil.wrap("cached") as run:
        client.messages.create(model="claude-sonnet-4-5", max_tokens=10,
                               messages=[{"role": "user", "content": "hi"}])
    vigil.flush(5)
    payload = sdk.events(run.execution_id)[0]["payload"]
    assert (payload["input_tokens"], payload["cached_input_tokens"]) == (1000, 700)
    assert "reasoning_tokens" not in payload
    end = sdk.patch_for(run.execution_id)
    # claude-sonnet-4: 3 in, 15 out; cache reads at a tenth of the input price.
    assert end["total_tokens_in"] == 1000
    assert end["estimated_cost_usd"] == pytest.approx(300 * 3e-6 + 700 * 0.3e-6 + 10 * 15e-6)


def test_estimate_cost_usd_without_parts_is_the_plain_formula():
    assert vigil.estimate_cost_usd("gpt-4o", 1000, 100) == (1000 / 1e6) * 2.5 + (100 / 1e6) * 10
    assert vigil.estimate_cost_usd("gpt-4o", 1000, 0, cached_input_tokens=5000) == pytest.approx(1000 * 1.25e-6)
