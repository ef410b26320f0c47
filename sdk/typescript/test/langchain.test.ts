// The LangChain.js callback handler, driven by the real @langchain/core package (a dev dependency):
// a chat model, a text LLM, tools and a failing chain run with the handler in their callbacks.
import assert from "node:assert/strict";
import { test } from "node:test";
import { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { AIMessage, HumanMessage, SystemMessage, type BaseMessage } from "@langchain/core/messages";
import type { ChatResult } from "@langchain/core/outputs";
import { RunnableLambda } from "@langchain/core/runnables";
import { DynamicTool } from "@langchain/core/tools";
import { FakeLLM } from "@langchain/core/utils/testing";
import { Budget, flush, VigilHalt, wrap } from "../src/index.js";
import { MesediCallbackHandler, VigilCallbackHandler } from "../src/adapters/langchain.js";
import { useConfiguredServer } from "./helpers/fake_server.js";

const fake = useConfiguredServer("vigil_sk_test", 20);

// A chat model answering "Paris." with the usage a provider reports (cached and reasoning parts).
class UsageChatModel extends BaseChatModel {
  _llmType(): string {
    return "usage-fake";
  }

  override invocationParams(): Record<string, unknown> {
    return { model: "gpt-4o" };
  }

  async _generate(_messages: BaseMessage[]): Promise<ChatResult> {
    const message = new AIMessage({
      content: "Paris.",
      usage_metadata: {
        input_tokens: 120, output_tokens: 30, total_tokens: 150,
        input_token_details: { cache_read: 100 }, output_token_details: { reasoning: 10 },
      },
    });
    return { generations: [{ text: "Paris.", message }] };
  }
}

async function eventsSinceTestStart(): Promise<Array<Record<string, any>>> {
  assert.equal(await flush(), true);
  return fake
    .sinceTestStart()
    .filter((r) => r.method === "POST" && r.path === "/events")
    .flatMap((r) => r.body as unknown as Array<Record<string, any>>);
}

test("a chat model run is an llm_call with model, prompts, response and tokens", async () => {
  const model = new UsageChatModel({});
  const agent = wrap(async () => {
    const reply = await model.invoke([new SystemMessage("Be brief."), new HumanMessage("Capital of France?")], {
      callbacks: [new VigilCallbackHandler()],
    });
    return reply.content;
  });
  assert.equal(await agent(), "Paris.");
  const [call] = (await eventsSinceTestStart()).filter((e) => e.event_type === "llm_call");
  assert.equal(call.payload.model, "gpt-4o");
  assert.equal(call.payload.system_prompt, "Be brief.");
  assert.equal(call.payload.user_message, "Capital of France?");
  assert.equal(call.payload.response_text, "Paris.");
  assert.equal(call.payload.input_tokens, 120);
  assert.equal(call.payload.output_tokens, 30);
  assert.equal(call.payload.cached_input_tokens, 100);
  assert.equal(call.payload.reasoning_tokens, 10);
});

test("a text LLM run records its prompt and response", async () => {
  const llm = new FakeLLM({ response: "hello there" });
  const agent = wrap(async () => llm.invoke("Say hi", { callbacks: [new MesediCallbackHandler()] }));
  assert.equal(await agent(), "hello there");
  const [call] = (await eventsSinceTestStart()).filter((e) => e.event_type === "llm_call");
  assert.equal(call.payload.user_message, "Say hi");
  assert.equal(call.payload.response_text, "hello there");
});

test("tool runs are tool_call events, ok and failed", async () => {
  const search = new DynamicTool({ name: "search", description: "search", func: async (q: string) => `3 results for ${q}` });
  const fetchPage = new DynamicTool({
    name: "fetch_page",
    description: "fetch",
    func: async () => {
      throw new Error("connection refused");
    },
  });
  const handler = new VigilCallbackHandler();
  const agent = wrap(async () => {
    await search.invoke("cats", { callbacks: [handler] });
    await fetchPage.invoke("http://x", { callbacks: [handler] }).catch(() => undefined);
  });
  await agent();
  const tools = (await eventsSinceTestStart()).filter((e) => e.event_type === "tool_call").map((e) => e.payload);
  assert.equal(tools.length, 2);
  assert.equal(tools[0].tool_name, "search");
  assert.equal(tools[0].status, "ok");
  assert.deepEqual(tools[0].arguments, { args: [{ input: "cats" }] });
  assert.equal(tools[0].result_summary, "3 results for cats");
  assert.equal(tools[1].tool_name, "fetch_page");
  assert.equal(tools[1].status, "failed");
  assert.equal(tools[1].exception_message, "connection refused");
});

test("the outermost chain's error is the crash cause, sent once", async () => {
  class LookupError extends Error {
    override name = "LookupError";
  }
  const chain = RunnableLambda.from(async () => {
    throw new LookupError("no such customer");
  }).pipe(RunnableLambda.from(async (x: unknown) => x));
  const agent = wrap(async () => chain.invoke({}, { callbacks: [new VigilCallbackHandler()] }));
  await assert.rejects(agent(), LookupError);
  const causes = (await eventsSinceTestStart()).filter((e) => e.event_type === "exception");
  assert.equal(causes.length, 1);
  assert.equal(causes[0].payload.exception_type, "LookupError");
  assert.equal(causes[0].payload.exception_message, "no such customer");
});

test("the chain's error stays recorded when the agent throws another one", async () => {
  const chain = RunnableLambda.from(async () => {
    throw new RangeError("index out of range");
  });
  const agent = wrap(async () => {
    try {
      await chain.invoke({}, { callbacks: [new VigilCallbackHandler()] });
    } catch (err) {
      throw new Error("agent failed", { cause: err });
    }
  });
  await assert.rejects(agent(), /agent failed/);
  const types = (await eventsSinceTestStart()).filter((e) => e.event_type === "exception").map((e) => e.payload.exception_type);
  assert.deepEqual(types, ["RangeError", "Error"]);
});

test("a step budget stops the model before the call over budget", async () => {
  const llm = new FakeLLM({ response: "a" });
  let calls = 0;
  const agent = wrap(
    async () => {
      for (let i = 0; i < 2; i++) {
        await llm.invoke("q", { callbacks: [new VigilCallbackHandler()] });
        calls++;
      }
    },
    { budget: new Budget({ maxSteps: 1 }) },
  );
  await assert.rejects(agent(), VigilHalt);
  assert.equal(calls, 1);
  const steps = (await eventsSinceTestStart()).filter((e) => e.event_type === "llm_call");
  assert.equal(steps.length, 1);
});

test("outside a wrapped execution the handler records nothing", async () => {
  const llm = new FakeLLM({ response: "x" });
  assert.equal(await llm.invoke("q", { callbacks: [new VigilCallbackHandler()] }), "x");
  assert.deepEqual(await eventsSinceTestStart(), []);
});
