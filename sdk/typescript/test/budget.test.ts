import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  Budget,
  checkpoint,
  currentExecutionId,
  currentSignal,
  emitLlmCall,
  flush,
  tool,
  VigilHalt,
  wrap,
  type HaltTrigger,
} from "../src/index.js";
import { FakeVigil, sleep, startConfigured } from "./helpers/fake_server.js";

let server: FakeVigil;
before(async () => {
  server = await startConfigured("vigil_sk_budget");
});
after(() => server.stop());


function requestsOf(id: string) {
  return server.ingest().filter((r) => r.path === `/executions/${id}` || r.body?.execution_id === id);
}

/** Runs `body` wrapped with `budget`; returns the execution id and the VigilHalt it threw. */
async function runUntilHalt(budget: Budget, body: () => Promise<void>): Promise<{ id: string; halt: VigilHalt }> {
  let id = "";
  const agent = wrap(
    async () => {
      id = currentExecutionId() as string;
      await body();
    },
    { budget },
  );
  let halt: VigilHalt | undefined;
  await assert.rejects(agent(), (e) => {
    halt = e as VigilHalt;
    return e instanceof VigilHalt;
  });
  await flush();
  return { id, halt: halt as VigilHalt };
}

function assertHalted(id: string, halt: VigilHalt, trigger: HaltTrigger) {
  assert.equal(halt.trigger, trigger);
  assert.equal(halt.executionId, id);
  assert.ok(halt.reason.length > 0);
  const end = requestsOf(id).find((r) => r.method === "PATCH");
  assert.equal(end?.body.status, "halted");
  assert.equal(end?.body.crash_signature, `halt:${trigger}`);
  // The reason in words travels with the halt (docs/protocol.md#halt_reason-on-executions).
  assert.equal(end?.body.halt_reason, halt.reason);
}

test("the budget is sent as the execution's budget (max_duration_ms, max_llm_calls, max_cost_usd)", async () => {
  let id = "";
  const agent = wrap(
    () => {
      id = currentExecutionId() as string;
    },
    { budget: new Budget({ maxWallClockSeconds: 1.5, maxSteps: 10, maxTokensIn: 5, maxCostUsd: 0.25 }) },
  );
  agent();
  await flush();
  const create = requestsOf(id).find((r) => r.method === "POST");
  assert.deepEqual(create?.body.budget, { max_duration_ms: 1500, max_llm_calls: 10, max_cost_usd: 0.25 });

  // Token limits have no server-side field: no budget object at all.
  const tokensOnly = wrap(
    () => {
      id = currentExecutionId() as string;
    },
    { budget: { maxTokensOut: 5 } },
  );
  tokensOnly();
  await flush();
  assert.equal(requestsOf(id).find((r) => r.method === "POST")?.body.budget, undefined);
});

test("invalid budget values are refused when wrapping", () => {
  assert.throws(() => new Budget({ maxSteps: -1 }), TypeError);
  assert.throws(() => new Budget({ maxCostUsd: Number.NaN }), TypeError);
  assert.throws(() => wrap(() => 1, { budget: { maxWallClockSeconds: Infinity } }), TypeError);
});

test("step_count: the llm call past maxSteps halts (it is recorded first)", async () => {
  let calls = 0;
  const { id, halt } = await runUntilHalt(new Budget({ maxSteps: 3 }), async () => {
    for (;;) {
      calls++;
      emitLlmCall({ model: "gpt-4o-mini", inputTokens: 1, outputTokens: 1 });
      await sleep(0);
    }
  });
  assert.equal(calls, 4);
  assertHalted(id, halt, "step_count");
  assert.equal(halt.reason, "step budget exceeded: 4 llm calls > 3");
  assert.equal(server.events().filter((e) => e.execution_id === id && e.event_type === "llm_call").length, 4);
});

test("token_total: input or output tokens past their limit halt", async () => {
  const r1 = await runUntilHalt(new Budget({ maxTokensIn: 100 }), async () => {
    emitLlmCall({ model: "m", inputTokens: 60, outputTokens: 1000 });
    emitLlmCall({ model: "m", inputTokens: 60, outputTokens: 1 });
    assert.fail("not halted");
  });
  assertHalted(r1.id, r1.halt, "token_total");
  const r2 = await runUntilHalt(new Budget({ maxTokensOut: 10 }), async () => {
    emitLlmCall({ model: "m", inputTokens: 1000, outputTokens: 11 });
    assert.fail("not halted");
  });
  assertHalted(r2.id, r2.halt, "token_total");
});

test("cost: price-table estimates and explicit costs count against maxCostUsd", async () => {
  const r1 = await runUntilHalt(new Budget({ maxCostUsd: 0.01 }), async () => {
    emitLlmCall({ model: "gpt-4o-mini", inputTokens: 1000, outputTokens: 1000 }); // $0.00075
    emitLlmCall({ model: "gpt-4o-2024-08-06", inputTokens: 1000, outputTokens: 1000 }); // +$0.0125
    assert.fail("not halted");
  });
  assertHalted(r1.id, r1.halt, "cost");
  const end = requestsOf(r1.id).find((r) => r.method === "PATCH");
  assert.ok(Math.abs(end?.body.estimated_cost_usd - 0.01325) < 1e-12);

  const r2 = await runUntilHalt(new Budget({ maxCostUsd: 0.5 }), async () => {
    emitLlmCall({ model: "in-house-model", inputTokens: 5, outputTokens: 5, costUsd: 0.3 });
    emitLlmCall({ model: "in-house-model", inputTokens: 5, outputTokens: 5, costUsd: 0.3 });
    assert.fail("not halted");
  });
  assertHalted(r2.id, r2.halt, "cost");
});

test("wall_clock: the signal fires at the deadline and the next call point throws", async () => {
  let abortedAt = 0;
  let reason: unknown;
  const started = Date.now();
  const { id, halt } = await runUntilHalt(new Budget({ maxWallClockSeconds: 0.1 }), async () => {
    const signal = currentSignal() as AbortSignal;
    signal.addEventListener("abort", () => {
      abortedAt = Date.now();
      reason = signal.reason;
    });
    for (;;) {
      await sleep(30);
      checkpoint("tick");
    }
  });
  assertHalted(id, halt, "wall_clock");
  assert.ok(abortedAt - started >= 95, `aborted after ${abortedAt - started} ms`);
  assert.ok(reason instanceof VigilHalt && reason.trigger === "wall_clock");
});

test("an abort error a client raises because the halt fired currentSignal() ends the run halted", async () => {
  let id = "";
  const agent = wrap(
    async () => {
      id = currentExecutionId() as string;
      // What fetch and the LLM clients do with a signal that fires while they wait.
      await new Promise((_, reject) => {
        (currentSignal() as AbortSignal).addEventListener("abort", () => reject(new DOMException("This operation was aborted", "AbortError")));
      });
    },
    { budget: new Budget({ maxWallClockSeconds: 0.02 }) },
  );
  await assert.rejects(agent(), (e) => e instanceof DOMException && e.name === "AbortError");
  await flush();
  const end = requestsOf(id).find((r) => r.method === "PATCH");
  assert.equal(end?.body.status, "halted");
  assert.equal(end?.body.crash_signature, "halt:wall_clock");
  // An abort error without a halt behind it is an ordinary crash.
  const own = wrap(async () => {
    id = currentExecutionId() as string;
    currentSignal();
    throw new DOMException("gave up", "AbortError");
  });
  await assert.rejects(own(), (e) => e instanceof DOMException);
  await flush();
  assert.equal(requestsOf(id).find((r) => r.method === "PATCH")?.body.status, "crashed");
});

test("a tool call is a halt point: a due halt stops the tool from running", async () => {
  let ran = 0;
  const t = tool(function work() {
    ran++;
  });
  const { id, halt } = await runUntilHalt(new Budget({ maxWallClockSeconds: 0.02 }), async () => {
    t();
    await sleep(40);
    t();
  });
  assert.equal(ran, 1);
  assertHalted(id, halt, "wall_clock");
});

test("an agent that catches the halt and returns is still reported halted", async () => {
  let id = "";
  const agent = wrap(
    async () => {
      id = currentExecutionId() as string;
      try {
        emitLlmCall({ model: "m" });
        emitLlmCall({ model: "m" });
      } catch (e) {
        assert.ok(e instanceof VigilHalt);
        return "partial answer";
      }
      return "full";
    },
    { budget: new Budget({ maxSteps: 1 }) },
  );
  assert.equal(await agent(), "partial answer");
  await flush();
  const end = requestsOf(id).find((r) => r.method === "PATCH");
  assert.equal(end?.body.status, "halted");
  assert.equal(end?.body.crash_signature, "halt:step_count");
});

test("a parent's budget counts its children's calls and halts them", async () => {
  const ids: string[] = [];
  const child = wrap(async () => {
    ids.push(currentExecutionId() as string);
    emitLlmCall({ model: "m" });
    emitLlmCall({ model: "m" });
  });
  const parent = wrap(
    async () => {
      ids.push(currentExecutionId() as string);
      await child(); // 2 calls: within the parent's 2
      await child(); // the 3rd call exceeds it
    },
    { budget: new Budget({ maxSteps: 2 }) },
  );
  await assert.rejects(parent(), (e) => e instanceof VigilHalt && e.trigger === "step_count" && e.executionId === ids[0]);
  await flush();
  const status = (id: string) => requestsOf(id).find((r) => r.method === "PATCH")?.body.status;
  assert.equal(status(ids[0] as string), "halted");
  assert.equal(status(ids[1] as string), "completed");
  assert.equal(status(ids[2] as string), "halted");
});

test("a halt stream is opened for an execution with a budget, not for a bare one", async () => {
  const ids: string[] = [];
  const bare = wrap(async () => {
    ids.push(currentExecutionId() as string);
    await sleep(20);
  });
  const budgeted = wrap(
    async () => {
      ids.push(currentExecutionId() as string);
      await sleep(50);
    },
    { budget: { maxSteps: 100 } },
  );
  await bare();
  await budgeted();
  await flush();
  const streams = server.requests.filter((r) => r.path.endsWith("/halt-stream")).map((r) => r.path);
  assert.ok(!streams.includes(`/executions/${ids[0]}/halt-stream`));
  assert.ok(streams.includes(`/executions/${ids[1]}/halt-stream`));
  const stream = server.requests.find((r) => r.path === `/executions/${ids[1]}/halt-stream`);
  assert.equal(stream?.headers["authorization"], "Bearer vigil_sk_budget");
  assert.equal(stream?.headers["x-mesedi-schema-version"], "1");
  assert.equal(stream?.headers["accept"], "text/event-stream");
});
