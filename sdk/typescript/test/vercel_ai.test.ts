// The Vercel AI SDK integration driving the real `ai` package (a dev dependency) with its own test
// model (`MockLanguageModelV3` from `ai/test`), recorded in the real vigil server and read back
// through its API: each model step an llm_call with its tokens, each tool execution a tool_call.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Budget, VigilHalt } from "../src/index.js";
import { instrumentModel, instrumentTools, vigilMiddleware, wrapGenerateText, wrapStreamText } from "../src/adapters/vercel_ai.js";
import { SKIP_WITHOUT_BIN, useRealVigil, VIGIL_BIN } from "./helpers/real_vigil.js";
import { importUntyped } from "./helpers/untyped_import.js";

const { generateText, jsonSchema, stepCountIs, streamText, tool, wrapLanguageModel } = await importUntyped("ai");
const { convertArrayToReadableStream, MockLanguageModelV3 } = await importUntyped("ai/test");

// Usage as a V3 provider reports it: totals with their cached and reasoning parts.
function usage(input: number, output: number, cacheRead = 0, reasoning = 0) {
  return {
    inputTokens: { total: input, noCache: input - cacheRead, cacheRead, cacheWrite: 0 },
    outputTokens: { total: output, text: output - reasoning, reasoning },
  };
}

const TOOL_TURN = {
  content: [{ type: "tool-call" as const, toolCallId: "call-1", toolName: "weather", input: JSON.stringify({ city: "Paris" }) }],
  finishReason: { unified: "tool-calls" as const, raw: "tool_calls" },
  usage: usage(1200, 40, 1000, 20),
  warnings: [],
};
const TEXT_TURN = {
  content: [{ type: "text" as const, text: "It is sunny in Paris." }],
  finishReason: { unified: "stop" as const, raw: "stop" },
  usage: usage(1300, 60, 1100, 0),
  warnings: [],
  response: { id: "r2", timestamp: new Date(0), modelId: "gpt-4o-2024-08-06" },
};

const weather = tool({
  description: "The weather in a city",
  inputSchema: jsonSchema({ type: "object", properties: { city: { type: "string" } }, required: ["city"] }),
  execute: async ({ city }: { city: string }) => `sunny in ${city}`,
});

const mockModel = () => new MockLanguageModelV3({ provider: "openai", modelId: "gpt-4o", doGenerate: [TOOL_TURN, TEXT_TURN] });

if (!VIGIL_BIN) test("the Vercel AI SDK against the real vigil server", { skip: SKIP_WITHOUT_BIN }, () => {});
else describe("the Vercel AI SDK against the real vigil server", () => {
  const vigil = useRealVigil();

  async function recorded<T>(body: () => T | Promise<T>, budget?: Budget) {
    const run = await vigil.recordedRun("vercel-ai-e2e", body, budget);
    return { ...run, llm: run.events("llm_call"), tools: run.events("tool_call") };
  }

  test("a two-step generateText: each model step an llm_call with tokens, the tool a tool_call", async () => {
    const model = wrapLanguageModel({ model: mockModel(), middleware: vigilMiddleware() });
    const { result, execution, llm, tools } = await recorded(() =>
      generateText({
        model, system: "You report the weather.", prompt: "Weather in Paris?",
        tools: instrumentTools({ weather }), stopWhen: stepCountIs(3),
      }),
    );
    assert.equal(result?.text, "It is sunny in Paris.");
    assert.equal(llm.length, 2);
    assert.deepEqual(
      llm.map((c) => [c.model, c.input_tokens, c.output_tokens, c.cached_input_tokens, c.reasoning_tokens]),
      [["gpt-4o", 1200, 40, 1000, 20], ["gpt-4o-2024-08-06", 1300, 60, 1100, 0]],
    );
    assert.equal(llm[0].system_prompt, "You report the weather.");
    assert.equal(llm[0].user_message, "Weather in Paris?");
    assert.equal(llm[1].response_text, "It is sunny in Paris.");
    assert.match(llm[0].context_sha256, /^[0-9a-f]{64}$/);
    assert.notEqual(llm[0].context_sha256, llm[1].context_sha256, "the second request holds the tool result");
    assert.equal(tools.length, 1);
    assert.equal(tools[0].tool_name, "weather");
    assert.equal(tools[0].status, "ok");
    assert.deepEqual(tools[0].arguments, { args: [{ city: "Paris" }] });
    assert.equal(tools[0].result_summary, "sunny in Paris");
    assert.equal(execution.total_tokens_in, 2500);
    assert.equal(execution.total_tokens_out, 100);
    // gpt-4o: uncached input at $2.5/M, cached at half, output at $10/M.
    const cost = ((200 + 200) * 2.5 + (1000 + 1100) * 1.25 + 100 * 10) / 1e6;
    assert.ok(Math.abs(execution.estimated_cost_usd - cost) < 1e-12, String(execution.estimated_cost_usd));
  });

  test("wrapGenerateText(generateText), the Mesedi form, records the same without wrapLanguageModel", async () => {
    const generate = wrapGenerateText(generateText);
    const { result, llm, tools } = await recorded(() =>
      generate({ model: mockModel(), prompt: "Weather in Paris?", tools: { weather }, stopWhen: stepCountIs(3) }),
    );
    assert.equal(result?.text, "It is sunny in Paris.");
    assert.equal(llm.length, 2);
    assert.equal(tools.length, 1);
    assert.equal(tools[0].tool_name, "weather");
  });

  test("streamText: the streamed step is recorded when its stream ends", async () => {
    const model = new MockLanguageModelV3({
      modelId: "claude-sonnet-4",
      doStream: {
        stream: convertArrayToReadableStream([
          { type: "stream-start", warnings: [] },
          { type: "text-start", id: "t" },
          { type: "text-delta", id: "t", delta: "Bon" },
          { type: "text-delta", id: "t", delta: "jour." },
          { type: "text-end", id: "t" },
          { type: "finish", finishReason: { unified: "stop", raw: "end_turn" }, usage: usage(1500, 400, 1000) },
        ]),
      },
    });
    const stream = wrapStreamText(streamText);
    const { result, llm } = await recorded(async () => stream({ model, prompt: "Say hello in French" }).text);
    assert.equal(result, "Bonjour.");
    assert.equal(llm.length, 1);
    assert.equal(llm[0].model, "claude-sonnet-4");
    assert.equal(llm[0].response_text, "Bonjour.");
    assert.equal(llm[0].user_message, "Say hello in French");
    assert.deepEqual([llm[0].input_tokens, llm[0].output_tokens, llm[0].cached_input_tokens], [1500, 400, 1000]);
  });

  test("a failing tool is a failed tool_call and the run goes on; a failing model call a failed llm_call", async () => {
    const broken = tool({
      description: "always fails",
      inputSchema: jsonSchema({ type: "object", properties: { city: { type: "string" } } }),
      execute: async (): Promise<string> => {
        throw new RangeError("station offline");
      },
    });
    const failing = new MockLanguageModelV3({
      modelId: "gpt-4o",
      doGenerate: async () => {
        throw new Error("upstream 503");
      },
    });
    const { error, llm, tools } = await recorded(async () => {
      const first = await generateText({
        model: instrumentModel(mockModel()), prompt: "Weather?", tools: instrumentTools({ weather: broken }), stopWhen: stepCountIs(3),
      });
      assert.equal(first.text, "It is sunny in Paris.");
      return generateText({ model: instrumentModel(failing), prompt: "again", maxRetries: 0 });
    });
    assert.match(String((error as Error)?.message), /upstream 503/);
    assert.equal(tools.length, 1);
    assert.equal(tools[0].status, "failed");
    assert.equal(tools[0].exception_type, "RangeError");
    assert.equal(tools[0].exception_message, "station offline");
    assert.deepEqual(llm.map((c) => c.status), ["ok", "ok", "failed"]);
    assert.equal(llm[2].exception_message, "upstream 503");
  });

  test("a step budget stops the run before the model call over budget", async () => {
    const model = instrumentModel(mockModel());
    const { error, execution, llm } = await recorded(
      () => generateText({ model, prompt: "Weather?", tools: instrumentTools({ weather }), stopWhen: stepCountIs(3) }),
      new Budget({ maxSteps: 1 }),
    );
    assert.ok(error instanceof VigilHalt, String(error));
    assert.equal((error as VigilHalt).trigger, "step_count");
    assert.equal(llm.length, 1);
    assert.equal(execution.status, "halted");
  });

  test("outside a wrapped execution nothing is recorded and the calls work as before", async () => {
    const result = await generateText({
      model: instrumentModel(mockModel()), prompt: "Weather?", tools: instrumentTools({ weather }), stopWhen: stepCountIs(3),
    });
    assert.equal(result.text, "It is sunny in Paris.");
    assert.equal(instrumentModel("openai/gpt-4o"), "openai/gpt-4o");
  });
});
