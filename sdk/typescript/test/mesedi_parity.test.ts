// Drop-in parity with the Mesedi TypeScript SDK: each public call form its documentation shows
// (the npm README and the SDK reference page, not its source) compiles against our types and
// sends what the documentation describes. Our own forms keep working beside them.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as vigil from "../src/index.js";
import { configure, flush, tool, wrap } from "../src/index.js";
import { useConfiguredServer } from "./helpers/fake_server.js";

// Every Mesedi TypeScript public name documented, with our export of the same name.
const MESEDI_TYPESCRIPT_API = ["configure", "wrap", "tool", "flush"] as const;

const fake = useConfiguredServer("vigil_sk_test", 20);

function sentSinceTestStart(method: string, path: string) {
  return fake
    .sinceTestStart()
    .filter((r) => r.method === method && r.path === path);
}

test("every documented Mesedi name is exported as a function", () => {
  for (const name of MESEDI_TYPESCRIPT_API) assert.equal(typeof vigil[name], "function", name);
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
