import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  checkpoint,
  currentExecutionId,
  emitLlmCall,
  flush,
  tool,
  validatorResult,
  wrap,
} from "../src/index.js";
import { SDK_VERSION } from "../src/version.js";
import { FakeVigil, startConfigured } from "./helpers/fake_server.js";

const ISO_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const EXEC_ID = /^exec-[0-9a-f]{12}$/;
const EVT_ID = /^evt-[0-9a-f]{12}$/;

let server: FakeVigil;

before(async () => {
  server = await startConfigured("vigil_sk_test", 20);
});

after(async () => {
  await server.stop();
});

function forExecution(id: string) {
  return server.ingest().filter((r) => r.path === `/executions/${id}` || r.body?.execution_id === id || (Array.isArray(r.body) && r.body.some((e: { execution_id: string }) => e.execution_id === id)));
}

test("a wrapped async agent produces POST /executions, POST /events, then PATCH with totals", async () => {
  let id = "";
  const search = tool(async function search(q: string) {
    return { hits: [q, q.toUpperCase()] };
  });
  const agent = wrap(
    async (question: string) => {
      id = currentExecutionId() as string;
      emitLlmCall({
        model: "gpt-4o",
        systemPrompt: "You are terse.",
        userMessage: question,
        responseText: "4",
        inputTokens: 1000,
        outputTokens: 200,
        durationMs: 12.4,
      });
      const r = await search("vigil");
      checkpoint("after-search", { hits: r.hits.length });
      validatorResult("schema", true, { severity: "error" });
      emitLlmCall({ model: "gpt-4o", inputTokens: 500, outputTokens: 100 });
      return "four";
    },
    { name: "qa" },
  );
  assert.equal(await agent("2+2?"), "four");
  assert.equal(await flush(), true);

  const reqs = forExecution(id);
  assert.match(id, EXEC_ID);
  assert.deepEqual(
    reqs.map((r) => `${r.method} ${r.path}`),
    ["POST /executions", "POST /events", `PATCH /executions/${id}`],
  );
  const [create, events, end] = reqs as [(typeof reqs)[0], (typeof reqs)[0], (typeof reqs)[0]];

  assert.deepEqual(Object.keys(create.body), ["execution_id", "name", "status", "started_at", "sdk_language", "sdk_version"]);
  assert.equal(create.body.name, "qa");
  assert.equal(create.body.execution_id, id);
  assert.equal(create.body.status, "started");
  assert.match(create.body.started_at, ISO_MS);
  assert.equal(create.body.sdk_language, "typescript");
  assert.equal(create.body.sdk_version, SDK_VERSION);

  for (const r of reqs) {
    assert.equal(r.headers["authorization"], "Bearer vigil_sk_test");
    assert.match(String(r.headers["content-type"]), /^application\/json/);
    assert.equal(r.headers["x-mesedi-schema-version"], "1");
  }

  const evs = events.body as Array<Record<string, any>>;
  assert.deepEqual(
    evs.map((e) => e.event_type),
    ["llm_call", "tool_call", "checkpoint", "validator_result", "llm_call"],
  );
  assert.deepEqual(evs.map((e) => e.sequence), [1, 2, 3, 4, 5]);
  for (const e of evs) {
    assert.match(e.event_id, EVT_ID);
    assert.equal(e.execution_id, id);
    assert.match(e.timestamp, ISO_MS);
  }
  assert.equal(new Set(evs.map((e) => e.event_id)).size, 5);
  assert.deepEqual(evs[0]?.payload, {
    model: "gpt-4o",
    system_prompt: "You are terse.",
    user_message: "2+2?",
    status: "ok",
    response_text: "4",
    input_tokens: 1000,
    output_tokens: 200,
  });
  assert.equal(evs[0]?.duration_ms, 12);
  assert.equal(evs[1]?.payload.tool_name, "search");
  assert.equal(evs[1]?.payload.status, "ok");
  assert.deepEqual(evs[1]?.payload.arguments, { args: ["vigil"] });
  assert.equal(evs[1]?.payload.result_summary, '{"hits":["vigil","VIGIL"]}');
  assert.equal(evs[1]?.payload.result_text, '{"hits":["vigil","VIGIL"]}');
  assert.equal(typeof evs[1]?.duration_ms, "number");
  assert.deepEqual(evs[2]?.payload, { name: "after-search", metadata: { hits: 2 } });
  assert.deepEqual(evs[3]?.payload, { name: "schema", passed: true, severity: "error" });

  assert.equal(end.body.status, "completed");
  assert.match(end.body.ended_at, ISO_MS);
  assert.equal(typeof end.body.duration_ms, "number");
  assert.ok(end.body.duration_ms >= 0);
  assert.equal(end.body.total_tokens_in, 1500);
  assert.equal(end.body.total_tokens_out, 300);
  // gpt-4o: $2.50 in / $10 out per million tokens.
  assert.ok(Math.abs(end.body.estimated_cost_usd - (1500 * 2.5 + 300 * 10) / 1e6) < 1e-12);
  assert.equal(end.body.crash_signature, undefined);
});

test("a wrapped sync function returns its value and is recorded", async () => {
  let id = "";
  const add = wrap(function add(a: number, b: number) {
    id = currentExecutionId() as string;
    return a + b;
  });
  assert.equal(add(2, 3), 5);
  assert.equal(add.name, "add");
  await flush();
  const reqs = forExecution(id);
  assert.deepEqual(reqs.map((r) => r.method), ["POST", "PATCH"]);
  assert.equal(reqs[1]?.body.status, "completed");
});

test("a crash is rethrown unchanged and ends the execution as crashed with a signature", async () => {
  let id = "";
  class BoomError extends Error {}
  const err = new BoomError("boom");
  const agent = wrap(async () => {
    id = currentExecutionId() as string;
    await new Promise((r) => setTimeout(r, 1));
    throw err;
  });
  await assert.rejects(agent(), (e) => e === err);
  await flush();
  const end = forExecution(id).find((r) => r.method === "PATCH");
  assert.equal(end?.body.status, "crashed");
  assert.match(end?.body.crash_signature, /^[0-9a-f]{16}$/);

  const syncAgent = wrap(() => {
    id = currentExecutionId() as string;
    throw new TypeError("sync boom");
  });
  assert.throws(() => syncAgent(), TypeError);
  await flush();
  assert.equal(forExecution(id).find((r) => r.method === "PATCH")?.body.status, "crashed");
});

test("a failing tool records status failed with the error, and the error propagates", async () => {
  let id = "";
  const fetchDoc = tool("fetch_doc", async (_url: string) => {
    throw new RangeError("no such doc");
  });
  const agent = wrap(async () => {
    id = currentExecutionId() as string;
    try {
      await fetchDoc("https://example.invalid/x");
    } catch {
      return "recovered";
    }
    return "unreachable";
  });
  assert.equal(await agent(), "recovered");
  await flush();
  const ev = server.events().find((e) => e.execution_id === id);
  assert.equal(ev.event_type, "tool_call");
  assert.deepEqual(ev.payload, {
    tool_name: "fetch_doc",
    arguments: { args: ["https://example.invalid/x"] },
    status: "failed",
    exception_type: "RangeError",
    exception_message: "no such doc",
  });
  assert.equal(forExecution(id).find((r) => r.method === "PATCH")?.body.status, "completed");
});

test("nested wrapped calls are child executions with parent_execution_id", async () => {
  const ids: Record<string, string> = {};
  const child = wrap(async (n: number) => {
    ids[`child${n}`] = currentExecutionId() as string;
    emitLlmCall({ model: "claude-haiku-4-5", inputTokens: 10, outputTokens: 1 });
    await new Promise((r) => setTimeout(r, 5 * n));
    return n;
  });
  const parent = wrap(async () => {
    ids.parent = currentExecutionId() as string;
    const r = await Promise.all([child(1), child(2)]);
    assert.equal(currentExecutionId(), ids.parent); // context restored after awaits
    return r;
  });
  assert.deepEqual(await parent(), [1, 2]);
  assert.equal(currentExecutionId(), undefined);
  await flush();
  const creates = server.ingest().filter((r) => r.method === "POST" && r.path === "/executions");
  const byId = new Map(creates.map((r) => [r.body.execution_id, r.body]));
  assert.equal(byId.get(ids.parent)?.parent_execution_id, undefined);
  assert.equal(byId.get(ids.child1)?.parent_execution_id, ids.parent);
  assert.equal(byId.get(ids.child2)?.parent_execution_id, ids.parent);
  // Each child's llm call belongs to the child, and the parent's own totals stay zero.
  const evs = server.events().filter((e) => e.event_type === "llm_call");
  assert.ok(evs.some((e) => e.execution_id === ids.child1 && e.sequence === 1));
  assert.ok(evs.some((e) => e.execution_id === ids.child2 && e.sequence === 1));
  const parentEnd = forExecution(ids.parent as string).find((r) => r.method === "PATCH");
  assert.equal(parentEnd?.body.total_tokens_in, 0);
});

test("SDK helpers outside a wrapped call do nothing and never throw", async () => {
  const before = server.requests.length;
  emitLlmCall({ model: "x", inputTokens: 1 });
  checkpoint("nowhere");
  validatorResult("v", false);
  assert.equal(tool(() => 7)(), 7);
  await flush();
  assert.equal(server.requests.length, before);
});

test("odd values in arguments and metadata are recorded safely", async () => {
  let id = "";
  const circular: Record<string, unknown> = { a: 1 };
  circular.self = circular;
  const t = tool(function odd(_x: unknown, _y: unknown, _z: unknown) {
    return 10n;
  });
  const agent = wrap(() => {
    id = currentExecutionId() as string;
    t(circular, 5n, () => 1);
    checkpoint("meta", { when: new Date(0), big: 1n, s: "x".repeat(5000) });
  });
  agent();
  await flush();
  const evs = server.events().filter((e) => e.execution_id === id);
  assert.deepEqual(evs[0].payload.arguments, { args: [{ a: 1, self: "[Circular]" }, "5", "[Function anonymous]"] });
  assert.equal(evs[0].payload.result_summary, '"10"');
  assert.equal(evs[1].payload.metadata.when, "1970-01-01T00:00:00.000Z");
  assert.equal(evs[1].payload.metadata.big, "1");
  assert.ok(evs[1].payload.metadata.s.length < 1100);
});

test("recorded values are bounded whatever the agent passes", async () => {
  const { toJsonSafe } = await import("../src/summary.js");
  const huge = Array.from({ length: 500 }, () => ({ text: "é".repeat(5000), nested: [[[[[[[["deep"]]]]]]]] }));
  const safe = JSON.stringify(toJsonSafe(huge));
  assert.ok(Buffer.byteLength(safe) < 64 * 1024, `${Buffer.byteLength(safe)} bytes`);
  let id = "";
  const agent = wrap(() => {
    id = currentExecutionId() as string;
    const long = "漢".repeat(100_000);
    emitLlmCall({ model: "m", systemPrompt: long, userMessage: long, responseText: long });
    checkpoint("big", { huge });
  });
  agent();
  await flush();
  for (const ev of server.events().filter((e) => e.execution_id === id)) {
    assert.ok(Buffer.byteLength(JSON.stringify(ev.payload)) < 200 * 1024);
  }
});
