// The OpenAI and Anthropic adapters driving the real npm clients (`openai`, `@anthropic-ai/sdk`,
// dev dependencies) against a local fake of their HTTP APIs, recorded in the real vigil server
// and read back through its API: model, prompts, tokens with their cached and reasoning parts, cost.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { instrumentAnthropic } from "../src/adapters/anthropic.js";
import { instrumentOpenAI } from "../src/adapters/openai.js";
import { estimateCostUsd } from "../src/pricing.js";
import { FakeLlmApi, type FakeTurn } from "./helpers/fake_llm_api.js";
import { SKIP_WITHOUT_BIN, useRealVigil, VIGIL_BIN } from "./helpers/real_vigil.js";
import { importUntyped } from "./helpers/untyped_import.js";

const { default: OpenAI } = await importUntyped("openai");
const { default: Anthropic } = await importUntyped("@anthropic-ai/sdk");

const GPT: FakeTurn = { model: "gpt-4o-2024-08-06", text: "Paris.", inputTokens: 1200, outputTokens: 300, cachedTokens: 1000, reasoningTokens: 100 };
const CLAUDE: FakeTurn = { model: "claude-sonnet-4-20250514", text: "Bonjour.", inputTokens: 1500, outputTokens: 400, cachedTokens: 1000, cacheWriteTokens: 200 };

// What the price table says each turn costs: (1200 - 1000) + 1000 at half the input price, and
// (300 - 100) + 100 reasoning at the output price; Anthropic's cache reads at a tenth.
const GPT_COST = (200 * 2.5 + 1000 * 2.5 * 0.5 + 300 * 10) / 1e6;
const CLAUDE_COST = (500 * 3 + 1000 * 3 * 0.1 + 400 * 15) / 1e6;

if (!VIGIL_BIN) test("the official clients against the real vigil server", { skip: SKIP_WITHOUT_BIN }, () => {});
else describe("the official clients against the real vigil server", () => {
  const vigil = useRealVigil();
  const llm = new FakeLlmApi();
  let openai: any;
  let anthropic: any;
  before(async () => {
    await llm.start();
    openai = instrumentOpenAI(new OpenAI({ apiKey: "sk-test", baseURL: llm.openaiBaseUrl, maxRetries: 0 }));
    anthropic = instrumentAnthropic(new Anthropic({ apiKey: "sk-ant-test", baseURL: llm.anthropicBaseUrl, maxRetries: 0 }));
  });
  after(() => llm.stop());
  beforeEach(() => llm.clear());

  async function recorded(body: () => Promise<unknown>) {
    const run = await vigil.recordedRun("clients-e2e", body);
    assert.equal(run.error, undefined);
    return { execution: run.execution, calls: run.events("llm_call") };
  }

  function assertTokens(call: Record<string, any>, t: FakeTurn) {
    assert.equal(call.model, t.model);
    assert.equal(call.status, "ok");
    assert.equal(call.input_tokens, t.inputTokens);
    assert.equal(call.output_tokens, t.outputTokens);
    assert.equal(call.cached_input_tokens, t.cachedTokens);
    assert.equal(call.reasoning_tokens, t.reasoningTokens);
    assert.equal(call.response_text, t.text);
    assert.match(call.context_sha256, /^[0-9a-f]{64}$/);
    assert.equal(typeof call.duration_ms, "number");
  }

  test("openai chat.completions: one llm_call with prompts, tokens and their cached and reasoning parts", async () => {
    llm.queue(GPT);
    const { execution, calls } = await recorded(() =>
      openai.chat.completions.create({
        model: "gpt-4o",
        messages: [{ role: "system", content: "Answer in one word." }, { role: "user", content: "Capital of France?" }],
      }),
    );
    assert.equal(calls.length, 1);
    const [call] = calls as [Record<string, any>];
    assertTokens(call, GPT);
    assert.equal(call.system_prompt, "Answer in one word.");
    assert.equal(call.user_message, "Capital of France?");
    assert.equal(execution.total_tokens_in, 1200);
    assert.equal(execution.total_tokens_out, 300);
    assert.ok(Math.abs(execution.estimated_cost_usd - GPT_COST) < 1e-12, String(execution.estimated_cost_usd));
    assert.equal(estimateCostUsd(GPT.model, 1200, 300, 1000, 100), GPT_COST);
  });

  test("openai chat.completions stream with include_usage: recorded once iterated", async () => {
    llm.queue(GPT);
    let text = "";
    const { calls } = await recorded(async () => {
      const stream = await openai.chat.completions.create({
        model: "gpt-4o", stream: true, stream_options: { include_usage: true },
        messages: [{ role: "user", content: "Capital of France?" }],
      });
      for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? "";
    });
    assert.equal(text, "Paris.");
    assert.equal(calls.length, 1);
    assertTokens(calls[0] as Record<string, any>, GPT);
  });

  test("openai responses.create: instructions, input and the Responses usage fields", async () => {
    llm.queue(GPT);
    const { execution, calls } = await recorded(() =>
      openai.responses.create({ model: "gpt-4o", instructions: "Answer in one word.", input: "Capital of France?" }),
    );
    assert.equal(calls.length, 1);
    const [call] = calls as [Record<string, any>];
    assertTokens(call, GPT);
    assert.equal(call.system_prompt, "Answer in one word.");
    assert.equal(call.user_message, "Capital of France?");
    assert.ok(Math.abs(execution.estimated_cost_usd - GPT_COST) < 1e-12);
  });

  test("openai responses.create stream: tokens from response.completed", async () => {
    llm.queue(GPT);
    const { calls } = await recorded(async () => {
      const stream = await openai.responses.create({ model: "gpt-4o", input: [{ role: "user", content: "Capital of France?" }], stream: true });
      for await (const _event of stream) {
        // drain
      }
    });
    assert.equal(calls.length, 1);
    assertTokens(calls[0] as Record<string, any>, GPT);
    assert.equal(calls[0]?.user_message, "Capital of France?");
  });

  test("anthropic messages.create: cache reads are the cached part of the whole input", async () => {
    llm.queue(CLAUDE);
    const { execution, calls } = await recorded(() =>
      anthropic.messages.create({
        model: "claude-sonnet-4", max_tokens: 100, system: "Reply in French.",
        messages: [{ role: "user", content: "Hello" }],
      }),
    );
    assert.equal(calls.length, 1);
    const [call] = calls as [Record<string, any>];
    assertTokens(call, { ...CLAUDE, reasoningTokens: undefined });
    assert.equal(call.system_prompt, "Reply in French.");
    assert.equal(call.user_message, "Hello");
    assert.equal(execution.total_tokens_in, 1500);
    assert.ok(Math.abs(execution.estimated_cost_usd - CLAUDE_COST) < 1e-12, String(execution.estimated_cost_usd));
  });

  test("anthropic messages.create stream: usage from message_start and message_delta", async () => {
    llm.queue(CLAUDE);
    const { calls } = await recorded(async () => {
      const stream = await anthropic.messages.create({
        model: "claude-sonnet-4", max_tokens: 100, stream: true, messages: [{ role: "user", content: "Hello" }],
      });
      for await (const _event of stream) {
        // drain
      }
    });
    assert.equal(calls.length, 1);
    assertTokens(calls[0] as Record<string, any>, { ...CLAUDE, reasoningTokens: undefined });
  });

  test("a call the API refuses is a failed llm_call and the client's error reaches the agent", async () => {
    let caught: unknown;
    const { execution, calls } = await recorded(async () => {
      try {
        await openai.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "x" }] });
      } catch (err) {
        caught = err;
      }
    });
    assert.ok(caught instanceof OpenAI.APIError);
    assert.equal(calls.length, 1);
    assert.equal(calls[0]?.status, "failed");
    assert.equal(calls[0]?.model, "gpt-4o");
    assert.match(String(calls[0]?.exception_message), /no answer queued/);
    assert.equal(execution.status, "completed");
  });
});
