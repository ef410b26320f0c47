// Streamed calls through the adapters, driving the real npm clients (`openai`, `@anthropic-ai/sdk`,
// `ai` with its mock model) against a local fake of the providers' server-sent events: every chunk
// reaches the agent as the uninstrumented client gives it, and one llm_call is recorded when the
// stream ends, however it ends.
import assert from "node:assert/strict";
import { after, before, beforeEach, test } from "node:test";
import { Budget, currentExecutionId, flush, VigilHalt, wrap } from "../src/index.js";
import { instrumentAnthropic } from "../src/adapters/anthropic.js";
import { instrumentOpenAI } from "../src/adapters/openai.js";
import { instrumentModel } from "../src/adapters/vercel_ai.js";
import { FakeLlmApi, type FakeTurn } from "./helpers/fake_llm_api.js";
import { type FakeVigil, startConfigured } from "./helpers/fake_server.js";
import { importUntyped } from "./helpers/untyped_import.js";

const { default: OpenAI } = await importUntyped("openai");
const { default: Anthropic } = await importUntyped("@anthropic-ai/sdk");
const { streamText } = await importUntyped("ai");
const { MockLanguageModelV3 } = await importUntyped("ai/test");

const WEATHER = { id: "call_1", name: "get_weather", arguments: { city: "Paris" } };
const GPT: FakeTurn = { model: "gpt-4o-2024-08-06", text: "Checking.", toolCalls: [WEATHER], inputTokens: 120, outputTokens: 30, cachedTokens: 100 };
const CLAUDE: FakeTurn = { model: "claude-sonnet-4-20250514", text: "Checking the weather.", toolCalls: [WEATHER], inputTokens: 150, outputTokens: 40, cachedTokens: 100 };
const RECORDED_CALL = [{ id: "call_1", name: "get_weather", arguments: '{"city":"Paris"}' }];
const CHAT = { model: "gpt-4o", messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "Weather in Paris?" }] };
const MESSAGES = { model: "claude-sonnet-4", max_tokens: 100, system: "Be brief.", messages: [{ role: "user", content: "Weather in Paris?" }] };

let server: FakeVigil;
const llm = new FakeLlmApi();
const openaiOptions = () => ({ apiKey: "sk-test", baseURL: llm.openaiBaseUrl, maxRetries: 0 });
const anthropicOptions = () => ({ apiKey: "sk-ant-test", baseURL: llm.anthropicBaseUrl, maxRetries: 0 });
let openai: any;
let anthropic: any;
before(async () => {
  server = await startConfigured();
  await llm.start();
  openai = instrumentOpenAI(new OpenAI(openaiOptions()));
  anthropic = instrumentAnthropic(new Anthropic(anthropicOptions()));
});
after(async () => {
  await llm.stop();
  await server.stop();
});
beforeEach(() => llm.clear());

/** Runs `body` as a wrapped execution: what it returned or threw, its llm_call payloads, its end. */
async function run<T>(body: () => Promise<T>, budget?: Budget) {
  let id = "";
  const agent = wrap(
    async () => {
      id = currentExecutionId() as string;
      return body();
    },
    budget ? { budget } : {},
  );
  let error: unknown;
  const value = await agent().catch((e: unknown) => {
    error = e;
  });
  await flush();
  const calls = server.events().filter((e) => e.execution_id === id && e.event_type === "llm_call");
  const end = server.ingest().find((r) => r.method === "PATCH" && r.path === `/executions/${id}`)?.body;
  return { value: value as T | undefined, error, calls: calls.map((e) => ({ ...e.payload, duration_ms: e.duration_ms })), end };
}

async function collect(stream: AsyncIterable<unknown>): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const chunk of stream) out.push(chunk);
  return out;
}

test("openai chat stream: every chunk as the plain client gives it, one llm_call with tokens, text and tool calls", async () => {
  const params = { ...CHAT, stream: true, stream_options: { include_usage: true } };
  llm.queue(GPT, GPT);
  const plain = await collect(await new OpenAI(openaiOptions()).chat.completions.create(params));
  const r = await run(async () => collect(await openai.chat.completions.create(params)));
  assert.deepEqual(r.value, plain);
  assert.deepEqual(llm.requests.at(-1)?.body, params, "the request is sent as the agent wrote it");
  assert.equal(r.calls.length, 1);
  const [call] = r.calls as [Record<string, any>];
  assert.equal(call.model, "gpt-4o-2024-08-06");
  assert.deepEqual([call.system_prompt, call.user_message], ["Be brief.", "Weather in Paris?"]);
  assert.deepEqual([call.input_tokens, call.output_tokens, call.cached_input_tokens], [120, 30, 100]);
  assert.equal(call.response_text, "Checking.");
  assert.deepEqual(call.tool_calls, RECORDED_CALL);
  assert.match(call.context_sha256, /^[0-9a-f]{64}$/);
  assert.equal(typeof call.duration_ms, "number");
  assert.equal(r.end.total_tokens_in, 120);
});

test("openai chat stream without include_usage: recorded with 0 tokens, nothing added to the request", async () => {
  llm.queue(GPT);
  const r = await run(async () => collect(await openai.chat.completions.create({ ...CHAT, stream: true })));
  assert.equal(llm.requests.at(-1)?.body.stream_options, undefined);
  const [call] = r.calls as [Record<string, any>];
  assert.deepEqual([call.input_tokens, call.output_tokens, call.response_text], [0, 0, "Checking."]);
});

test("a stream left early records what arrived", async () => {
  llm.queue(GPT);
  const r = await run(async () => {
    const stream = await openai.chat.completions.create({ ...CHAT, stream: true });
    for await (const chunk of stream) if (chunk.choices[0]?.delta?.content) break;
  });
  assert.equal(r.calls.length, 1);
  assert.equal(r.calls[0].status, "ok");
  assert.equal(r.calls[0].response_text, "Check");
});

test("a stream never read is recorded when its execution ends", async () => {
  llm.queue(GPT);
  const r = await run(async () => {
    await openai.chat.completions.create({ ...CHAT, stream: true });
  });
  assert.equal(r.calls.length, 1);
  assert.equal(r.calls[0].response_text, "");
  assert.equal(r.end.status, "completed");
});

test("an error mid-stream is a failed llm_call keeping the text so far; the error reaches the agent", async () => {
  llm.queue({ ...GPT, failAfter: 2 });
  let received = 0;
  const r = await run(async () => {
    for await (const _chunk of await openai.chat.completions.create({ ...CHAT, stream: true })) received++;
  });
  assert.equal(received, 2);
  assert.equal((r.error as Error).message, "Overloaded");
  const [call] = r.calls as [Record<string, any>];
  assert.equal(call.status, "failed");
  assert.equal(call.exception_message, "Overloaded");
  assert.equal(call.response_text, "Checking.");
  assert.equal(call.input_tokens, undefined);
});

test("openai's stream helpers (chat.completions.stream, responses.stream) are recorded once", async () => {
  llm.queue({ ...GPT, api: "chat" }, { ...GPT, api: "responses", reasoningTokens: 10 });
  const r = await run(async () => {
    const chat = await openai.chat.completions.stream({ ...CHAT, stream_options: { include_usage: true } }).finalChatCompletion();
    const response = await openai.responses.stream({ model: "gpt-4o", instructions: "Be brief.", input: "Weather in Paris?" }).finalResponse();
    return [chat.choices[0].message.content, response.output_text];
  });
  assert.deepEqual(r.value, ["Checking.", "Checking."]);
  assert.equal(r.calls.length, 2);
  for (const call of r.calls) {
    assert.deepEqual([call.input_tokens, call.output_tokens, call.response_text], [120, 30, "Checking."]);
    assert.deepEqual(call.tool_calls, RECORDED_CALL);
  }
  assert.equal(r.calls[1].reasoning_tokens, 10);
  assert.equal(r.calls[1].system_prompt, "Be brief.");
});

test("a Responses API stream ending in response.failed is a failed llm_call", async () => {
  llm.queue({ ...GPT, api: "responses", responseFailed: true });
  const r = await run(async () => {
    const events = await collect(await openai.responses.create({ model: "gpt-4o", input: "Weather?", stream: true }));
    return (events.at(-1) as Record<string, unknown>).type;
  });
  assert.equal(r.value, "response.failed", "the stream itself ended normally");
  const [call] = r.calls as [Record<string, any>];
  assert.deepEqual([call.status, call.exception_type, call.exception_message], ["failed", "ProviderError", "The model crashed"]);
  assert.equal(call.response_text, "Checking.");
});

test("a streamed call is a halt point: the step budget refuses it before it is sent", async () => {
  llm.queue(GPT, GPT);
  const sent = llm.requests.length;
  const r = await run(async () => {
    await collect(await openai.chat.completions.create({ ...CHAT, stream: true }));
    await openai.chat.completions.create({ ...CHAT, stream: true });
  }, new Budget({ maxSteps: 1 }));
  assert.ok(r.error instanceof VigilHalt && r.error.trigger === "step_count");
  assert.equal(llm.requests.length, sent + 1);
  assert.equal(r.calls.length, 1);
});

test("anthropic messages.create stream: the events unchanged, tokens of message_start and message_delta, tool use", async () => {
  llm.queue(CLAUDE, CLAUDE);
  const params = { ...MESSAGES, stream: true };
  const plain = await collect(await new Anthropic(anthropicOptions()).messages.create(params));
  const r = await run(async () => collect(await anthropic.messages.create(params)));
  assert.deepEqual(r.value, plain);
  const [call] = r.calls as [Record<string, any>];
  assert.equal(call.model, "claude-sonnet-4-20250514");
  assert.deepEqual([call.input_tokens, call.cached_input_tokens, call.output_tokens], [150, 100, 40]);
  assert.equal(call.response_text, "Checking the weather.");
  assert.deepEqual(call.tool_calls, RECORDED_CALL);
  assert.equal(call.system_prompt, "Be brief.");
});

test("anthropic messages.stream: text events and finalMessage() work, one llm_call", async () => {
  llm.queue(CLAUDE);
  const r = await run(async () => {
    const stream = anthropic.messages.stream(MESSAGES);
    let text = "";
    stream.on("text", (delta: string) => (text += delta));
    const final = await stream.finalMessage();
    return { text, final };
  });
  assert.equal(r.value?.text, "Checking the weather.");
  assert.equal(r.value?.final.content[1].name, "get_weather");
  assert.equal(r.calls.length, 1);
  assert.deepEqual([r.calls[0].input_tokens, r.calls[0].output_tokens], [150, 40]);
  assert.deepEqual(r.calls[0].tool_calls, RECORDED_CALL);
});

test("anthropic messages.stream left early, and failing mid-stream", async () => {
  llm.queue(CLAUDE, { ...CLAUDE, failAfter: 3 });
  const r = await run(async () => {
    for await (const ev of anthropic.messages.stream(MESSAGES)) if (ev.type === "content_block_delta") break;
    await anthropic.messages.stream(MESSAGES).finalMessage();
  });
  assert.equal((r.error as Error).message.includes("Overloaded"), true, String(r.error));
  assert.equal(r.calls.length, 2);
  // The MessageStream reads ahead of its reader: the first call holds what the client had received.
  assert.equal(r.calls[0].status, "ok");
  assert.ok(r.calls[0].response_text.length > 0 && "Checking the weather.".startsWith(r.calls[0].response_text));
  assert.deepEqual([r.calls[1].status, r.calls[1].response_text], ["failed", "Checking th"]);
});

// ---------------------------------------------------------------- Vercel AI SDK

function streamingModel(parts: unknown[], failAfter?: number) {
  return new MockLanguageModelV3({
    provider: "openai",
    modelId: "gpt-4o",
    doStream: async () => {
      let next = 0;
      // Pulled part by part, so the parts before a failure reach the reader.
      const stream = new ReadableStream({
        pull(controller) {
          const i = next++;
          if (i === failAfter) controller.error(new Error("socket hang up"));
          else if (i >= parts.length) controller.close();
          else controller.enqueue(parts[i]);
        },
      });
      return { stream };
    },
  });
}

const PARTS = [
  { type: "stream-start", warnings: [] },
  { type: "text-start", id: "t" },
  { type: "text-delta", id: "t", delta: "Sunny " },
  { type: "text-delta", id: "t", delta: "today." },
  { type: "text-end", id: "t" },
  { type: "tool-call", toolCallId: "call_1", toolName: "get_weather", input: '{"city":"Paris"}' },
  {
    type: "finish",
    finishReason: { unified: "stop", raw: "stop" },
    usage: { inputTokens: { total: 50, noCache: 50, cacheRead: 0, cacheWrite: 0 }, outputTokens: { total: 8, text: 8, reasoning: 0 } },
  },
];

test("streamText: text and tool calls of the stream, and a stream whose source fails is a failed call", async () => {
  const r = await run(async () => {
    const text = await streamText({ model: instrumentModel(streamingModel(PARTS)), prompt: "Weather?" }).text;
    const broken = streamText({ model: instrumentModel(streamingModel(PARTS, 3)), prompt: "Again?", onError: () => {} });
    await broken.text.catch(() => undefined);
    return text;
  });
  assert.equal(r.value, "Sunny today.");
  assert.equal(r.calls.length, 2);
  assert.deepEqual([r.calls[0].response_text, r.calls[0].input_tokens, r.calls[0].output_tokens], ["Sunny today.", 50, 8]);
  assert.deepEqual(r.calls[0].tool_calls, RECORDED_CALL);
  assert.deepEqual([r.calls[1].status, r.calls[1].exception_message, r.calls[1].response_text], ["failed", "socket hang up", "Sunny "]);
});

test("streamText read only in part is recorded once, with what arrived", async () => {
  const r = await run(async () => {
    const result = streamText({ model: instrumentModel(streamingModel(PARTS)), prompt: "Weather?" });
    for await (const _delta of result.textStream) break;
  });
  assert.equal(r.calls.length, 1);
  assert.equal(r.calls[0].status, "ok");
});
