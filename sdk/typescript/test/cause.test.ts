// What the SDK sends beyond the crash signature (docs/protocol.md#protocol-extensions): an
// `exception` event with the crash's cause, and the build identity on every execution.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { configure, currentExecutionId, flush, VigilConfigError, wrap } from "../src/index.js";
import { exceptionPayload, MAX_FRAMES } from "../src/cause.js";
import { FakeVigil, startConfigured } from "./helpers/fake_server.js";

let server: FakeVigil;
const DIGEST = "sha256:" + "ab".repeat(32);

before(async () => {
  process.env.VIGIL_CONTAINER_DIGEST = DIGEST;
  server = await startConfigured("vigil_sk_cause");
  configure({
    apiKey: "vigil_sk_cause",
    baseUrl: server.baseUrl,
    flushIntervalMs: 10,
    codeVersion: "v1.2.3-4-gdeadbee",
  });
});
after(() => server.stop());

function lookup(record: Record<string, unknown>): unknown {
  if (!("userId" in record)) throw new RangeError("no userId in record");
  return record.userId;
}

test("a crash sends an exception event, innermost frame last, before the end PATCH", async () => {
  let id = "";
  const billingAgent = wrap(async function billingAgent(record: Record<string, unknown>) {
    id = currentExecutionId() as string;
    return lookup(record);
  });
  await assert.rejects(billingAgent({}), RangeError);
  assert.equal(await flush(), true);
  const ofRun = server.ingest().filter((r) => r.path === `/executions/${id}` || r.path === "/events");
  const exceptions = server.events().filter((e) => e.execution_id === id && e.event_type === "exception");
  assert.equal(exceptions.length, 1);
  const payload = exceptions[0].payload;
  assert.equal(payload.exception_type, "RangeError");
  assert.equal(payload.exception_message, "no userId in record");
  const functions = payload.frames.map((f: { function: string }) => f.function);
  assert.equal(functions[functions.length - 1], "lookup");
  const last = payload.frames[payload.frames.length - 1];
  assert.match(last.file, /cause\.test\.js$/);
  assert.ok(Number.isInteger(last.line) && last.line > 0);
  // The event batch went out before the PATCH that ends the execution.
  const firstEvents = ofRun.findIndex((r) => r.path === "/events");
  const end = ofRun.findIndex((r) => r.method === "PATCH");
  assert.ok(firstEvents >= 0 && firstEvents < end);
  assert.equal(ofRun[end].body.status, "crashed");
  assert.match(ofRun[end].body.crash_signature, /^[0-9a-f]{16}$/);
});

test("a run that returns sends no exception event", async () => {
  let id = "";
  await wrap(async function fine() {
    id = currentExecutionId() as string;
  })();
  assert.equal(await flush(), true);
  assert.equal(server.events().filter((e) => e.execution_id === id && e.event_type === "exception").length, 0);
});

test("the payload keeps the innermost frames and cuts the message to 8 KiB", () => {
  const err = new Error("é".repeat(10_000));
  err.stack = "Error: x\n" + Array.from({ length: 100 }, (_, i) => `    at f${i} (/app/a.js:${i + 1}:3)`).join("\n");
  const payload = exceptionPayload(err) as { exception_message: string; frames: Array<{ function: string; line: number }> };
  assert.equal(payload.frames.length, MAX_FRAMES);
  assert.deepEqual(payload.frames[payload.frames.length - 1], { file: "/app/a.js", function: "f0", line: 1 });
  assert.ok(Buffer.byteLength(payload.exception_message, "utf8") <= 8 * 1024);
  assert.deepEqual(exceptionPayload("plain string"), {
    exception_type: "string",
    exception_message: "plain string",
    frames: [],
  });
});

test("the build identity is sent on every execution", async () => {
  await wrap(async function identified() {}, { name: "identified" })();
  assert.equal(await flush(), true);
  const create = server.ingest().find((r) => r.method === "POST" && r.body?.name === "identified");
  assert.equal(create?.body.code_version, "v1.2.3-4-gdeadbee");
  assert.equal(create?.body.container_digest, DIGEST);
});

test("an identity the server would refuse is refused at configure", () => {
  assert.throws(() => configure({ baseUrl: server.baseUrl, codeVersion: "main branch" }), VigilConfigError);
  assert.throws(() => configure({ baseUrl: server.baseUrl, containerDigest: "latest" }), VigilConfigError);
});
