// The OpenAI Agents SDK integration driving the real `@openai/agents` package (a dev dependency):
// agents run with its own OpenAI models (Responses and Chat Completions) against a local fake of
// the OpenAI API, the tracing processor records the spans, and the real vigil server stores them.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { Budget, currentSignal, VigilHalt } from "../src/index.js";
import { VigilTracingProcessor } from "../src/adapters/openai_agents.js";
import { FakeLlmApi, type FakeTurn } from "./helpers/fake_llm_api.js";
import { SKIP_WITHOUT_BIN, useRealVigil, VIGIL_BIN } from "./helpers/real_vigil.js";
import { importUntyped } from "./helpers/untyped_import.js";

const { Agent, OpenAIProvider, Runner, setTraceProcessors, tool } = await importUntyped("@openai/agents");

const CALL_TOOL: FakeTurn = {
  model: "gpt-4o-2024-08-06", toolCalls: [{ id: "call_1", name: "get_weather", arguments: { city: "Paris" } }],
  inputTokens: 900, outputTokens: 30, cachedTokens: 800, reasoningTokens: 10,
};
const ANSWER: FakeTurn = { model: "gpt-4o-2024-08-06", text: "Sunny in Paris.", inputTokens: 1000, outputTokens: 20, cachedTokens: 900 };

const getWeather = tool({
  name: "get_weather",
  description: "The weather in a city",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"], additionalProperties: false },
  strict: true,
  execute: async (input: { city: string }) => `sunny in ${input.city}`,
});

if (!VIGIL_BIN) test("the OpenAI Agents SDK against the real vigil server", { skip: SKIP_WITHOUT_BIN }, () => {});
else describe("the OpenAI Agents SDK against the real vigil server", () => {
  const vigil = useRealVigil();
  const llm = new FakeLlmApi();
  before(async () => {
    await llm.start();
    // Instead of the default exporter, which would send traces to OpenAI.
    setTraceProcessors([new VigilTracingProcessor()]);
  });
  after(() => llm.stop());
  beforeEach(() => llm.clear());

  const runner = (useResponses: boolean) =>
    new Runner({ modelProvider: new OpenAIProvider({ apiKey: "sk-test", baseURL: llm.openaiBaseUrl, useResponses }) });

  async function recorded<T>(body: () => T | Promise<T>, budget?: Budget) {
    const run = await vigil.recordedRun("agents-e2e", body, budget);
    return { ...run, llm: run.events("llm_call"), tools: run.events("tool_call"), checkpoints: run.events("checkpoint") };
  }

  test("a run on the Responses API: each model call an llm_call with tokens, the tool a tool_call", async () => {
    llm.queue(CALL_TOOL, ANSWER);
    const agent = new Agent({ name: "weather", instructions: "You report the weather.", model: "gpt-4o", tools: [getWeather] });
    const { result, execution, llm: calls, tools, checkpoints } = await recorded(async () =>
      (await runner(true).run(agent, "Weather in Paris?")).finalOutput,
    );
    assert.equal(result, "Sunny in Paris.");
    assert.deepEqual(
      calls.map((c) => [c.model, c.input_tokens, c.output_tokens, c.cached_input_tokens, c.reasoning_tokens]),
      [["gpt-4o-2024-08-06", 900, 30, 800, 10], ["gpt-4o-2024-08-06", 1000, 20, 900, 0]],
    );
    assert.equal(calls[0].system_prompt, "You report the weather.");
    assert.equal(calls[0].user_message, "Weather in Paris?");
    assert.equal(calls[1].response_text, "Sunny in Paris.");
    assert.equal(tools.length, 1);
    assert.equal(tools[0].tool_name, "get_weather");
    assert.equal(tools[0].status, "ok");
    assert.deepEqual(tools[0].arguments, { args: [{ city: "Paris" }] });
    assert.equal(tools[0].result_summary, "sunny in Paris");
    assert.deepEqual(checkpoints.map((c) => [c.name, c.metadata.agent]), [["agent_start", "weather"]]);
    assert.equal(execution.total_tokens_in, 1900);
    assert.equal(execution.total_tokens_out, 50);
    const cost = ((100 + 100) * 2.5 + (800 + 900) * 1.25 + 50 * 10) / 1e6;
    assert.ok(Math.abs(execution.estimated_cost_usd - cost) < 1e-12, String(execution.estimated_cost_usd));
    assert.deepEqual(llm.requests.slice(-2).map((r) => r.path), ["/v1/responses", "/v1/responses"]);
  });

  test("a run on Chat Completions, with a handoff: generation spans, the handoff a checkpoint", async () => {
    llm.queue(
      { model: "gpt-4o-mini", toolCalls: [{ id: "h1", name: "transfer_to_weather", arguments: {} }], inputTokens: 100, outputTokens: 5 },
      CALL_TOOL,
      ANSWER,
    );
    const weather = new Agent({ name: "weather", instructions: "You report the weather.", model: "gpt-4o", tools: [getWeather] });
    const triage = new Agent({ name: "triage", instructions: "Route the question.", model: "gpt-4o-mini", handoffs: [weather] });
    const { result, llm: calls, tools, checkpoints } = await recorded(async () =>
      (await runner(false).run(triage, "Weather in Paris?")).finalOutput,
    );
    assert.equal(result, "Sunny in Paris.");
    assert.deepEqual(calls.map((c) => [c.model, c.input_tokens, c.cached_input_tokens]), [
      ["gpt-4o-mini", 100, 0], ["gpt-4o-2024-08-06", 900, 800], ["gpt-4o-2024-08-06", 1000, 900],
    ]);
    assert.equal(calls[0].system_prompt, "Route the question.");
    assert.equal(calls[0].user_message, "Weather in Paris?");
    assert.equal(tools.length, 1);
    assert.deepEqual(
      checkpoints.map((c) => [c.name, c.metadata.agent ?? `${c.metadata.from_agent}>${c.metadata.to_agent}`]),
      [["agent_start", "triage"], ["handoff", "triage>weather"], ["agent_start", "weather"]],
    );
    assert.deepEqual(llm.requests.slice(-3).map((r) => r.path), Array(3).fill("/v1/chat/completions"));
  });

  test("a token budget aborts the run through currentSignal() after the call that exceeded it", async () => {
    llm.queue(CALL_TOOL); // a second model call would fail the run with "no answer queued"
    const agent = new Agent({ name: "weather", model: "gpt-4o", tools: [getWeather] });
    const { error, execution, llm: calls } = await recorded(
      () => runner(true).run(agent, "Weather in Paris?", { signal: currentSignal() }),
      new Budget({ maxTokensIn: 500 }),
    );
    assert.ok(error instanceof VigilHalt, String(error));
    assert.equal((error as VigilHalt).trigger, "token_total");
    assert.equal(execution.status, "halted");
    assert.equal(calls.length, 1);
  });

  test("a failing tool is a failed tool_call; guardrails are validator results, failed when tripped", async () => {
    llm.queue({ ...CALL_TOOL, toolCalls: [{ id: "call_2", name: "get_forecast", arguments: { city: "Paris" } }] }, ANSWER);
    const getForecast = tool({
      name: "get_forecast",
      description: "The forecast for a city",
      parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"], additionalProperties: false },
      strict: true,
      execute: async (): Promise<string> => {
        throw new RangeError("forecast service down");
      },
    });
    const guardrail = (name: string, tripped: boolean) => ({
      name, runInParallel: false, execute: async () => ({ outputInfo: {}, tripwireTriggered: tripped }),
    });
    const agent = new Agent({ name: "weather", model: "gpt-4o", tools: [getForecast], inputGuardrails: [guardrail("on_topic", false)] });
    const ok = await recorded(async () => (await runner(true).run(agent, "Forecast for Paris?")).finalOutput);
    assert.equal(ok.result, "Sunny in Paris.");
    assert.deepEqual(ok.tools.map((t) => [t.tool_name, t.status]), [["get_forecast", "failed"]]);
    // The Agents SDK keeps the error itself out of its spans unless the tool has an errorFunction.
    assert.equal(ok.tools[0].exception_type, "ToolCallError");
    assert.ok(ok.tools[0].exception_message, "the span's error message is recorded");
    assert.deepEqual(ok.events("validator_result").map((v) => [v.name, v.passed]), [["on_topic", true]]);

    const strict = new Agent({ name: "weather", model: "gpt-4o", inputGuardrails: [guardrail("no_secrets", true)] });
    const tripped = await recorded(async () => runner(true).run(strict, "the password is hunter2"));
    assert.ok(tripped.error, "the tripwire stops the run");
    assert.equal(tripped.llm.length, 0);
    assert.deepEqual(tripped.events("validator_result").map((v) => [v.name, v.passed, v.message]), [["no_secrets", false, "tripwire triggered"]]);
  });

  test("a step budget aborts the model call it has no room for", async () => {
    llm.queue(CALL_TOOL); // a second call would fail the run with "no answer queued"
    const agent = new Agent({ name: "weather", model: "gpt-4o", tools: [getWeather] });
    const { error, execution, llm: calls, tools } = await recorded(
      () => runner(true).run(agent, "Weather in Paris?", { signal: currentSignal() }),
      new Budget({ maxSteps: 1 }),
    );
    // The model's request was under way: the client throws its own abort error, the halt its cause.
    assert.ok((error as Error)?.cause instanceof VigilHalt, String(error));
    assert.equal(execution.status, "halted");
    assert.equal(execution.crash_signature, "halt:step_count");
    assert.equal(calls.length, 1, "the refused call is not recorded");
    assert.equal(tools.length, 1);
  });

  test("outside a wrapped execution the processor records nothing", async () => {
    llm.queue(ANSWER);
    const agent = new Agent({ name: "plain", model: "gpt-4o" });
    const before = (await vigil.api("GET", "/executions?limit=200")).json;
    const result = await runner(true).run(agent, "hi");
    assert.equal(result.finalOutput, "Sunny in Paris.");
    const after = (await vigil.api("GET", "/executions?limit=200")).json;
    assert.deepEqual(after, before);
  });
});
