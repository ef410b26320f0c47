// Drop-in parity with the Mesedi TypeScript SDK: each public call form its documentation shows
// (the npm README and the SDK reference page, not its source) compiles against our types and
// sends what the documentation describes. Our own forms keep working beside them.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import * as vigil from "../src/index.js";
import { checkpoint, configure, flush, instrumentAnthropic, tool, validatorResult, wrap } from "../src/index.js";
import { FakeLlmApi } from "./helpers/fake_llm_api.js";
import { FakeVigil, useConfiguredServer } from "./helpers/fake_server.js";
import { importUntyped } from "./helpers/untyped_import.js";

const { default: Anthropic } = await importUntyped("@anthropic-ai/sdk");

// Every Mesedi TypeScript public function documented, with our export of the same name.
const MESEDI_TYPESCRIPT_API = ["configure", "wrap", "tool", "flush", "checkpoint", "validatorResult", "instrumentAnthropic", "MesediClient"] as const;
// Its documented enum-style constants; `Event` and `Execution` are types, checked by the compiler below.
const MESEDI_TYPESCRIPT_CONSTANTS = ["EventType", "Status"] as const;

const fake = useConfiguredServer("vigil_sk_test", 20);

function sentSinceTestStart(method: string, path: string) {
  return fake
    .sinceTestStart()
    .filter((r) => r.method === method && r.path === path);
}

test("every documented Mesedi name is exported as a function", () => {
  for (const name of MESEDI_TYPESCRIPT_API) assert.equal(typeof vigil[name], "function", name);
});

test("every documented Mesedi constant is exported as a frozen-shape object of strings", () => {
  for (const name of MESEDI_TYPESCRIPT_CONSTANTS) {
    assert.equal(typeof vigil[name], "object", name);
    for (const v of Object.values(vigil[name])) assert.equal(typeof v, "string", name);
  }
});

// The backticked names of a markdown table cell.
function codeNames(cell: string): string[] {
  return [...cell.matchAll(/`([a-z_]+)`/g)].map((m) => m[1] as string);
}

const PROTOCOL = readFileSync(fileURLToPath(new URL("../../../../docs/protocol.md", import.meta.url)), "utf8");

test("EventType holds exactly the event types docs/protocol.md gives a meaning", () => {
  const section = PROTOCOL.split("## Event types and payloads")[1]?.split("\n## ")[0] ?? "";
  const documented = section
    .split("\n")
    .filter((line) => line.startsWith("| `"))
    .flatMap((line) => codeNames(line.split("|")[1] as string));
  assert.ok(documented.includes("llm_call") && documented.includes("injection_alert"), documented.join());
  assert.deepEqual(Object.values(vigil.EventType).sort(), [...documented].sort());
  assert.equal(vigil.EventType.LLM_CALL, "llm_call");
  assert.equal(vigil.EventType.VALIDATOR_RESULT, "validator_result");
});

test("Status holds exactly the execution statuses docs/protocol.md lists", () => {
  const row = PROTOCOL.split("\n").find((line) => line.startsWith("| `status` | string |")) ?? "";
  // The cell lists the statuses, then says which are terminal after a semicolon.
  const documented = codeNames((row.split("|")[3] as string).split(";")[0] as string);
  assert.equal(documented.length, 6, row);
  assert.deepEqual(Object.values(vigil.Status).sort(), [...documented].sort());
  assert.equal(vigil.Status.COMPLETED, "completed");
  assert.equal(vigil.Status.VALIDATION_FAILED, "validation_failed");
});

test("MesediClient sends by hand, with its own key and server, the executions and events it is given", async () => {
  const own = await new FakeVigil().start();
  try {
    const client = new vigil.MesediClient({ apiKey: "mesedi_sk_client", baseUrl: own.baseUrl, flushIntervalMs: 10, timeoutMs: 2000 });
    assert.equal(client.config.requestTimeoutMs, 2000);
    const id = client.createExecution({ execution_id: "exec-manual-1", name: "by-hand" });
    assert.equal(id, "exec-manual-1");
    const events: vigil.Event[] = [
      { event_id: "evt-manual-1", execution_id: id, event_type: vigil.EventType.CHECKPOINT, sequence: 1, payload: { name: "mid", metadata: {} } },
    ];
    client.sendEvents(events);
    client.sendEvents({ execution_id: id, event_type: "custom_type", sequence: 2, payload: null });
    const end: Partial<vigil.Execution> = { status: vigil.Status.COMPLETED, duration_ms: 12 };
    client.updateExecution(id, end);
    assert.equal(await client.flush(5000), true);
    assert.deepEqual(client.stats(), { queued: 0, inFlight: 0, sent: 4, dropped: 0, rejected: 0, failed: 0, retries: 0 });

    const reqs = own.ingest();
    assert.ok(reqs.every((r) => r.headers.authorization === "Bearer mesedi_sk_client"));
    const create = reqs.find((r) => r.method === "POST" && r.path === "/executions");
    assert.equal(create?.body.execution_id, id);
    assert.equal(create?.body.status, "started");
    assert.equal(create?.body.name, "by-hand");
    assert.equal(create?.body.sdk_language, "typescript");
    const sent = reqs.filter((r) => r.path === "/events").flatMap((r) => r.body as Array<Record<string, any>>);
    assert.deepEqual(sent.map((e) => [e.event_type, e.sequence]), [["checkpoint", 1], ["custom_type", 2]]);
    assert.equal(sent[0]?.event_id, "evt-manual-1");
    assert.match(String(sent[1]?.event_id), /^evt-[0-9a-f]{12}$/);
    assert.match(String(sent[1]?.timestamp), /Z$/);
    const patch = reqs.find((r) => r.method === "PATCH");
    assert.equal(patch?.path, `/executions/${id}`);
    assert.equal(patch?.body.status, "completed");
    assert.equal(patch?.body.execution_id, undefined);
    assert.match(String(patch?.body.ended_at), /Z$/);
    // The process client saw none of it.
    assert.deepEqual(fake.sinceTestStart(), []);
  } finally {
    await own.stop();
  }
});

test("configure takes the documented apiKey and baseUrl options", () => {
  // Type-checked by the compiler; the call must not throw.
  configure({ apiKey: "vigil_sk_test", baseUrl: fake.server.baseUrl });
});

test("wrap(options, fn) and tool(options, fn), the Mesedi order, name the execution and the tool", async () => {
  const searchWeb = tool({ name: "search_web" }, async (q: string) => [`${q}1`, `${q}2`]);
  const runAgent = wrap({ name: "support-triage" }, async (query: string) => {
    const results = await searchWeb(query);
    return `found ${results.length} results`;
  });
  assert.equal(await runAgent("pickleball"), "found 2 results");
  assert.equal(await flush(), true);
  const [create] = sentSinceTestStart("POST", "/executions");
  assert.equal(create.body.name, "support-triage");
  const events = sentSinceTestStart("POST", "/events").flatMap((r) => r.body as unknown as Array<Record<string, any>>);
  const toolCall = events.find((e) => e.event_type === "tool_call");
  assert.equal(toolCall?.payload.tool_name, "search_web");
  assert.equal(toolCall?.payload.status, "ok");
  const [end] = sentSinceTestStart("PATCH", `/executions/${create.body.execution_id}`);
  assert.equal(end.body.status, "completed");
});

test("a bare wrap(fn) records a crash and rethrows the original error", async () => {
  const original = new TypeError("boom");
  const runAgent = wrap(async () => {
    throw original;
  });
  await assert.rejects(runAgent(), (err) => err === original);
  assert.equal(await flush(), true);
  const [end] = sentSinceTestStart("PATCH", `/executions/${sentSinceTestStart("POST", "/executions")[0].body.execution_id}`);
  assert.equal(end.body.status, "crashed");
  assert.match(String(end.body.crash_signature), /^[0-9a-f]{16}$/);
});

test("our own forms still work: wrap(fn, options), wrap(options)(fn), tool(name, fn), tool(fn, options)", async () => {
  const a = tool("a", () => 1);
  const b = tool(function b() {
    return 2;
  }, { captureResult: false });
  const first = wrap(() => a() + b(), { name: "first" });
  const second = wrap({ name: "second" })(() => a());
  assert.equal(first(), 3);
  assert.equal(second(), 1);
  assert.equal(await flush(), true);
  assert.deepEqual(sentSinceTestStart("POST", "/executions").map((r) => r.body.name), ["first", "second"]);
  const events = sentSinceTestStart("POST", "/events").flatMap((r) => r.body as unknown as Array<Record<string, any>>);
  assert.deepEqual(events.map((e) => e.payload.tool_name), ["a", "b", "a"]);
});

test("wrap refuses two functions rather than guessing", () => {
  assert.throws(() => (wrap as any)(() => 1, () => 2), TypeError);
});

function eventsSinceTestStart(): Array<Record<string, any>> {
  return sentSinceTestStart("POST", "/events").flatMap((r) => r.body as unknown as Array<Record<string, any>>);
}

test("checkpoint(name, meta?) and validatorResult(name, passed, opts?) send the documented payloads", async () => {
  await wrap(async () => {
    checkpoint("after_retrieval", { documents: 5, used_cache: true });
    checkpoint("bare");
    validatorResult("non-empty", false, { message: "LLM returned empty content", severity: "critical" });
    validatorResult("schema", true);
    // The Mesedi Python SDK's positional order, accepted too.
    validatorResult("length", false, "too short", "warning");
    validatorResult("tone", false, "too formal");
  })();
  assert.equal(await flush(), true);
  const events = eventsSinceTestStart();
  assert.deepEqual(events.filter((e) => e.event_type === "checkpoint").map((e) => e.payload), [
    { name: "after_retrieval", metadata: { documents: 5, used_cache: true } },
    { name: "bare", metadata: {} },
  ]);
  assert.deepEqual(events.filter((e) => e.event_type === "validator_result").map((e) => e.payload), [
    { name: "non-empty", passed: false, severity: "critical", message: "LLM returned empty content" },
    { name: "schema", passed: true },
    { name: "length", passed: false, severity: "warning", message: "too short" },
    { name: "tone", passed: false, message: "too formal" },
  ]);
});

test("the Mesedi import paths resolve: the package root and integrations/vercel_ai", async () => {
  const root = await import("vigil-sdk");
  for (const name of MESEDI_TYPESCRIPT_API) assert.equal(typeof root[name], "function", name);
  const vercel = await import("vigil-sdk/integrations/vercel_ai");
  assert.equal(typeof vercel.wrapGenerateText, "function");
});

test("instrumentAnthropic(Messages) and instrumentAnthropic() instrument every client of the installed @anthropic-ai/sdk", async () => {
  const llm = await new FakeLlmApi().start();
  try {
    llm.queue(
      { model: "claude-haiku-4-5", text: "one", inputTokens: 10, outputTokens: 2 },
      { model: "claude-haiku-4-5", text: "two", inputTokens: 11, outputTokens: 3 },
    );
    instrumentAnthropic(Anthropic.Messages);
    await instrumentAnthropic(); // the same class, found by import: no second patch
    const ask = (text: string) =>
      new Anthropic({ apiKey: "sk-ant-test", baseURL: llm.anthropicBaseUrl }).messages.create({
        model: "claude-haiku-4-5", max_tokens: 10, messages: [{ role: "user", content: text }],
      });
    await wrap(async () => {
      await ask("first");
      await ask("second");
    })();
    assert.equal(await flush(), true);
    const calls = eventsSinceTestStart().filter((e) => e.event_type === "llm_call").map((e) => e.payload);
    assert.deepEqual(calls.map((c) => [c.user_message, c.response_text, c.input_tokens]), [["first", "one", 10], ["second", "two", 11]]);
  } finally {
    await llm.stop();
  }
});
