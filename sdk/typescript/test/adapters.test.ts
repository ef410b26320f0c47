import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Budget, contextSha256, currentExecutionId, flush, VigilHalt, wrap } from "../src/index.js";
import { instrumentAnthropic } from "../src/adapters/anthropic.js";
import { instrumentOpenAI } from "../src/adapters/openai.js";
import { FakeVigil, startConfigured } from "./helpers/fake_server.js";

// Small fakes with the call shapes of @anthropic-ai/sdk and openai: resources as class instances
// with prototype methods, an APIPromise-like return value with extra helpers, errors as classes,
// streams as async iterables of the providers' event shapes.

class FakeAPIPromise<T> extends Promise<T> {
  withResponse(): Promise<{ data: T; response: { status: number } }> {
    return this.then((data) => ({ data, response: { status: 200 } }));
  }
}
function apiPromise<T>(fn: () => Promise<T>): FakeAPIPromise<T> {
  return new FakeAPIPromise<T>((resolve, reject) => {
    fn().then(resolve, reject);
  });
}

class APIError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}
class RateLimitError extends APIError {}

type Params = Record<string, any>;

class AnthropicMessages {
  readonly calls: Params[] = [];
  create(params: Params) {
    this.calls.push(params);
    return apiPromise(async () => {
      await new Promise((r) => setTimeout(r, 2));
      if (params.model === "overloaded") throw new RateLimitError(429, "rate limited, slow down");
      if (params.stream) {
        return {
          async *[Symbol.asyncIterator]() {
            yield { type: "message_start", message: { model: `${params.model}-20251001`, usage: { input_tokens: 30, output_tokens: 1 } } };
            yield { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } };
            yield { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Hel" } };
            yield { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "lo" } };
            yield { type: "message_delta", delta: { stop_reason: "end_turn" }, usage: { output_tokens: 9 } };
            yield { type: "message_stop" };
          },
        };
      }
      return {
        id: "msg_1",
        type: "message",
        role: "assistant",
        model: `${params.model}-20251001`,
        content: [
          { type: "text", text: "Paris" },
          { type: "tool_use", id: "t1", name: "x", input: {} },
          { type: "text", text: "." },
        ],
        stop_reason: "end_turn",
        usage: { input_tokens: 20, output_tokens: 4, cache_read_input_tokens: 100 },
      };
    });
  }
}
class FakeAnthropic {
  readonly messages = new AnthropicMessages();
}

class OpenAICompletions {
  readonly calls: Params[] = [];
  create(params: Params) {
    this.calls.push(params);
    return apiPromise(async () => {
      if (params.model === "broken") throw new APIError(500, "upstream exploded");
      if (params.model === "o1") {
        return {
          model: "o1-2024-12-17",
          choices: [{ index: 0, message: { role: "assistant", content: "4" } }],
          usage: {
            prompt_tokens: 1000,
            completion_tokens: 500,
            prompt_tokens_details: { cached_tokens: 800 },
            completion_tokens_details: { reasoning_tokens: 450 },
          },
        };
      }
      if (params.stream) {
        return {
          async *[Symbol.asyncIterator]() {
            yield { id: "c1", model: "gpt-4o-2024-08-06", choices: [{ index: 0, delta: { role: "assistant", content: "" } }] };
            yield { id: "c1", model: "gpt-4o-2024-08-06", choices: [{ index: 0, delta: { content: "Bon" } }] };
            yield { id: "c1", model: "gpt-4o-2024-08-06", choices: [{ index: 0, delta: { content: "jour" }, finish_reason: "stop" }] };
            yield { id: "c1", model: "gpt-4o-2024-08-06", choices: [], usage: { prompt_tokens: 11, completion_tokens: 2, total_tokens: 13 } };
          },
        };
      }
      return {
        id: "chatcmpl-1",
        object: "chat.completion",
        model: "gpt-4o-mini-2024-07-18",
        choices: [{ index: 0, message: { role: "assistant", content: "42" }, finish_reason: "stop" }],
        usage: { prompt_tokens: 50, completion_tokens: 3, total_tokens: 53 },
      };
    });
  }
}
class FakeOpenAI {
  readonly chat = { completions: new OpenAICompletions() };
}

const SYSTEM_BLOCKS = [{ type: "text", text: "You are a geographer." }];
const GEOGRAPHY = [
  { role: "user", content: "first question" },
  { role: "assistant", content: "first answer" },
  { role: "user", content: [{ type: "text", text: "Capital of France?" }] },
];

let server: FakeVigil;
before(async () => {
  server = await startConfigured();
});
after(() => server.stop());

async function llmEventsOf(run: () => Promise<unknown>) {
  let id = "";
  const agent = wrap(async () => {
    id = currentExecutionId() as string;
    return run();
  });
  let error: unknown;
  const value = await agent().catch((e: unknown) => {
    error = e;
  });
  await flush();
  const events = server.events().filter((e) => e.execution_id === id && e.event_type === "llm_call");
  const end = server.ingest().find((r) => r.method === "PATCH" && r.path === `/executions/${id}`);
  return { value, error, events, end: end?.body };
}

test("Anthropic messages.create records model, prompts, text and tokens, keeping the APIPromise", async () => {
  const client = instrumentAnthropic(new FakeAnthropic());
  assert.equal(instrumentAnthropic(client), client); // idempotent
  let returned: unknown;
  const r = await llmEventsOf(async () => {
    const p = client.messages.create({
      model: "claude-haiku-4-5",
      max_tokens: 100,
      system: SYSTEM_BLOCKS,
      messages: GEOGRAPHY,
    });
    returned = p;
    return (await p.withResponse()).data;
  });
  assert.ok(returned instanceof FakeAPIPromise, "the client's own promise type is returned");
  assert.equal((r.value as Params).id, "msg_1");
  assert.equal(r.events.length, 1);
  const ev = r.events[0];
  assert.deepEqual(ev.payload, {
    model: "claude-haiku-4-5-20251001",
    system_prompt: "You are a geographer.",
    user_message: "Capital of France?",
    status: "ok",
    response_text: "Paris.",
    input_tokens: 120,
    output_tokens: 4,
    // The cache reads, part of the 120 (docs/protocol.md#cached-and-reasoning-tokens).
    cached_input_tokens: 100,
    // The requested model and every input message, the system prompt first; no tools declared.
    context_sha256: contextSha256("claude-haiku-4-5", [{ role: "system", content: SYSTEM_BLOCKS }, ...GEOGRAPHY], []),
    // The answer's tool_use block, its input as JSON text.
    tool_calls: [{ id: "t1", name: "x", arguments: "{}" }],
  });
  assert.equal(typeof ev.duration_ms, "number");
  assert.equal(r.end.total_tokens_in, 120);
  assert.equal(r.end.total_tokens_out, 4);
  // claude-haiku-4-5: $1 in / $5 out per million, cache reads at a tenth of the input price.
  assert.ok(Math.abs(r.end.estimated_cost_usd - (20 * 1 + 100 * 0.1 + 4 * 5) / 1e6) < 1e-12);
});

test("Anthropic failures are recorded as failed llm calls and the error reaches the agent", async () => {
  const client = instrumentAnthropic(new FakeAnthropic());
  const r = await llmEventsOf(() =>
    client.messages.create({ model: "overloaded", system: "s", messages: [{ role: "user", content: "hi" }] }),
  );
  assert.ok(r.error instanceof RateLimitError);
  assert.deepEqual(r.events[0].payload, {
    model: "overloaded",
    system_prompt: "s",
    user_message: "hi",
    context_sha256: contextSha256("overloaded", [{ role: "system", content: "s" }, { role: "user", content: "hi" }], []),
    status: "failed",
    exception_type: "RateLimitError",
    exception_message: "rate limited, slow down",
  });
  assert.equal(r.end.status, "crashed");
});

test("Anthropic streams are recorded when iterated to the end", async () => {
  const client = instrumentAnthropic(new FakeAnthropic());
  let text = "";
  const r = await llmEventsOf(async () => {
    const stream = (await client.messages.create({
      model: "claude-sonnet-4",
      stream: true,
      messages: [{ role: "user", content: "greet" }],
    })) as AsyncIterable<Params>;
    for await (const ev of stream) if (ev.type === "content_block_delta") text += ev.delta.text;
  });
  assert.equal(text, "Hello");
  assert.equal(r.events.length, 1);
  assert.equal(r.events[0].payload.model, "claude-sonnet-4-20251001");
  assert.equal(r.events[0].payload.response_text, "Hello");
  assert.equal(r.events[0].payload.input_tokens, 30);
  assert.equal(r.events[0].payload.output_tokens, 9);
});

test("OpenAI chat.completions.create records model, system and user messages, tokens", async () => {
  const client = instrumentOpenAI(new FakeOpenAI());
  const messages = [
    { role: "system", content: "Be brief." },
    { role: "developer", content: [{ type: "text", text: "Answer in digits." }] },
    { role: "user", content: "What is six times seven?" },
  ];
  const tools = [{ type: "function", function: { name: "multiply", parameters: { type: "object" } } }];
  const r = await llmEventsOf(() => client.chat.completions.create({ model: "gpt-4o-mini", messages, tools }));
  assert.equal((r.value as Params).choices[0].message.content, "42");
  assert.deepEqual(r.events[0].payload, {
    model: "gpt-4o-mini-2024-07-18",
    system_prompt: "Be brief.\nAnswer in digits.",
    user_message: "What is six times seven?",
    status: "ok",
    response_text: "42",
    input_tokens: 50,
    output_tokens: 3,
    context_sha256: contextSha256("gpt-4o-mini", messages, tools),
  });
  assert.equal(r.end.total_tokens_in, 50);
});

test("OpenAI streams with include_usage and failures are recorded", async () => {
  const client = instrumentOpenAI(new FakeOpenAI());
  const r = await llmEventsOf(async () => {
    const stream = (await client.chat.completions.create({
      model: "gpt-4o",
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: "user", content: "hello in French" }],
    })) as AsyncIterable<Params>;
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? "";
    assert.equal(text, "Bonjour");
    await client.chat.completions.create({ model: "broken", messages: [{ role: "user", content: "x" }] }).catch(() => undefined);
  });
  assert.equal(r.events.length, 2);
  assert.deepEqual(
    [r.events[0].payload.response_text, r.events[0].payload.input_tokens, r.events[0].payload.output_tokens],
    ["Bonjour", 11, 2],
  );
  assert.equal(r.events[1].payload.status, "failed");
  assert.equal(r.events[1].payload.exception_type, "APIError");
  assert.equal(r.end.status, "completed");
});

test("an instrumented call is a halt point: the step budget stops the call before it is made", async () => {
  const fake = new FakeOpenAI();
  const client = instrumentOpenAI(fake);
  let id = "";
  const agent = wrap(
    async () => {
      id = currentExecutionId() as string;
      for (;;) await client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "again" }] });
    },
    { budget: new Budget({ maxSteps: 2 }) },
  );
  await assert.rejects(agent(), (e) => e instanceof VigilHalt && e.trigger === "step_count");
  assert.equal(fake.chat.completions.calls.length, 2, "the third call was never sent");
  await flush();
  const end = server.ingest().find((r) => r.method === "PATCH" && r.path === `/executions/${id}`);
  assert.equal(end?.body.crash_signature, "halt:step_count");
});

test("outside a wrapped execution the clients work and record nothing", async () => {
  const before = server.requests.length;
  const a = instrumentAnthropic(new FakeAnthropic());
  const o = instrumentOpenAI(new FakeOpenAI());
  assert.equal(((await a.messages.create({ model: "m", messages: [] })) as Params).id, "msg_1");
  assert.equal(((await o.chat.completions.create({ model: "m", messages: [] })) as Params).id, "chatcmpl-1");
  await flush();
  assert.equal(server.requests.length, before);
  assert.throws(() => instrumentOpenAI({} as never), TypeError);
});

test("a request the model already saw gets the same context_sha256, a grown one another", async () => {
  const client = instrumentOpenAI(new FakeOpenAI());
  const ask = [{ role: "user", content: "What is six times seven?" }];
  const grown = [...ask, { role: "assistant", content: "42" }, { role: "user", content: "What is six times seven?" }];
  const r = await llmEventsOf(async () => {
    await client.chat.completions.create({ model: "gpt-4o-mini", messages: ask });
    await client.chat.completions.create({ model: "gpt-4o-mini", messages: ask });
    await client.chat.completions.create({ model: "gpt-4o-mini", messages: grown });
  });
  const digests = r.events.map((e) => e.payload.context_sha256);
  assert.equal(digests.length, 3);
  assert.match(digests[0], /^[0-9a-f]{64}$/);
  assert.equal(digests[0], digests[1]);
  assert.notEqual(digests[1], digests[2]);
  assert.equal(r.events[2].payload.user_message, r.events[0].payload.user_message); // same last message
});

test("OpenAI cached and reasoning tokens are reported and priced at OpenAI's rates", async () => {
  const client = instrumentOpenAI(new FakeOpenAI());
  const r = await llmEventsOf(() => client.chat.completions.create({ model: "o1", messages: [{ role: "user", content: "2+2" }] }));
  const payload = r.events[0].payload;
  assert.equal(payload.cached_input_tokens, 800);
  assert.equal(payload.reasoning_tokens, 450);
  // o1: $15 in / $60 out per million; cached input at half, reasoning as output.
  const expected = (200 * 15 + 800 * 7.5 + 500 * 60) / 1e6;
  assert.ok(Math.abs(r.end.estimated_cost_usd - expected) < 1e-12, String(r.end.estimated_cost_usd));
});
