import assert from "node:assert/strict";
import { after, afterEach, test } from "node:test";
import {
  checkpoint,
  configure,
  currentExecutionId,
  emitLlmCall,
  flush,
  stats,
  tool,
  wrap,
  type ConfigureOptions,
} from "../src/index.js";
import { parseRetryAfter } from "../src/shipper.js";
import { FakeVigil, type RecordedRequest } from "./helpers/fake_server.js";

const servers: FakeVigil[] = [];
after(async () => {
  for (const s of servers) await s.stop();
});

// Fast retries for tests; the defaults (250 ms doubling to 30 s) are for real outages.
const FAST: ConfigureOptions = { flushIntervalMs: 10, retryBaseDelayMs: 20, maxRetryDelayMs: 100, exitFlushTimeoutMs: 500 };

async function startServer(port = 0): Promise<FakeVigil> {
  const s = await new FakeVigil().start(port);
  servers.push(s);
  return s;
}

let warnings: string[] = [];
const realWarn = console.warn;
function captureWarnings(): void {
  warnings = [];
  console.warn = (...args: unknown[]) => {
    warnings.push(args.map(String).join(" "));
  };
}
afterEach(() => {
  console.warn = realWarn;
});

/** Runs a small agent (create, three events, end) and returns its execution id. */
async function runAgent(): Promise<string> {
  let id = "";
  const lookup = tool(async function lookup(k: string) {
    return k.length;
  });
  const agent = wrap(async () => {
    id = currentExecutionId() as string;
    emitLlmCall({ model: "gpt-4o", inputTokens: 3, outputTokens: 2 });
    await lookup("key");
    checkpoint("done");
    return "ok";
  });
  assert.equal(await agent(), "ok"); // whatever the server does, the agent is unaffected
  return id;
}

/** The successful requests of one execution, in arrival order, as "METHOD path [n events]". */
function wireOf(server: FakeVigil, id: string): string[] {
  return server
    .ingest()
    .filter(
      (r: RecordedRequest) =>
        r.path === `/executions/${id}` ||
        r.body?.execution_id === id ||
        (Array.isArray(r.body) && r.body.some((e: { execution_id: string }) => e.execution_id === id)),
    )
    .map((r) => (r.path === "/events" ? `POST /events ${r.body.length}` : `${r.method} ${r.path}`));
}

const COMPLETE = (id: string) => ["POST /executions", "POST /events 3", `PATCH /executions/${id}`];

test("Retry-After parses seconds and HTTP dates", () => {
  assert.equal(parseRetryAfter("3"), 3000);
  assert.equal(parseRetryAfter(null), undefined);
  assert.equal(parseRetryAfter("soon"), undefined);
  const d = parseRetryAfter(new Date(Date.now() + 5000).toUTCString()) as number;
  assert.ok(d > 3000 && d <= 5000, String(d));
});

test("server down: the agent never notices, and everything arrives in order once it is back", async () => {
  const server = await startServer();
  const port = server.port;
  await server.stop();
  configure({ baseUrl: `http://127.0.0.1:${port}`, ...FAST });
  const before = stats();
  const ids = [await runAgent(), await runAgent()];
  await new Promise((r) => setTimeout(r, 200)); // several failed attempts meanwhile
  assert.ok(stats().retries > before.retries, "retried while down");
  assert.equal(await flush(50), false); // still down: flush reports it, without throwing

  const back = await startServer(port);
  assert.equal(await flush(5000), true);
  for (const id of ids) assert.deepEqual(wireOf(back, id), COMPLETE(id));
  const after = stats();
  assert.equal(after.sent - before.sent, 10);
  assert.equal(after.queued, 0);
});

test("500 answers are retried and nothing is lost or reordered", async () => {
  const server = await startServer();
  configure({ baseUrl: server.baseUrl, ...FAST });
  server.script({ status: 500, times: 2, match: (m, p) => m === "POST" && p === "/executions" });
  server.script({ status: 502, times: 1, match: (m, p) => m === "POST" && p === "/events" });
  server.script({ status: 500, times: 1, match: (m) => m === "PATCH" });
  const id = await runAgent();
  assert.equal(await flush(5000), true);
  assert.deepEqual(wireOf(server, id), COMPLETE(id));
  assert.equal(server.requests.filter((r) => r.status >= 500).length, 4);
});

test("429 and 503 honour Retry-After", async () => {
  const server = await startServer();
  configure({ baseUrl: server.baseUrl, ...FAST, maxRetryDelayMs: 5000 });
  server.script({ status: 429, headers: { "Retry-After": "1" }, match: (m, p) => m === "POST" && p === "/executions" });
  server.script({ status: 503, headers: { "Retry-After": "1" }, match: (m) => m === "PATCH" });
  const started = Date.now();
  const id = await runAgent();
  assert.equal(await flush(10_000), true);
  assert.deepEqual(wireOf(server, id), COMPLETE(id));
  // Two one-second waits; the 20 ms backoff alone would have taken well under 1 s.
  assert.ok(Date.now() - started >= 1900, `took ${Date.now() - started} ms`);
  const creates = server.requests.filter((r) => r.path === "/executions");
  assert.deepEqual(creates.map((r) => r.status), [429, 200]);
});

test("a 429 is reported as rate limited (429), once, not as an unreachable server", async () => {
  const server = await startServer();
  configure({ baseUrl: server.baseUrl, ...FAST, maxRetryDelayMs: 5000 });
  captureWarnings();
  server.script({ status: 429, times: 2, headers: { "Retry-After": "0" }, match: (m, p) => m === "POST" && p === "/events" });
  const id = await runAgent();
  assert.equal(await flush(5000), true);
  assert.deepEqual(wireOf(server, id), COMPLETE(id));
  const limited = warnings.filter((w) => w.includes("rate limited (429)"));
  assert.equal(limited.length, 1, warnings.join("\n"));
  assert.ok(!warnings.some((w) => w.includes("unreachable")));
});

test("other 4xx answers are dropped without retry, with one warning", async () => {
  const server = await startServer();
  configure({ baseUrl: server.baseUrl, ...FAST });
  captureWarnings();
  const before = stats();
  server.script({ status: 400, times: 2, match: (m, p) => m === "POST" && p === "/events" });
  const a = await runAgent();
  const b = await runAgent();
  assert.equal(await flush(5000), true);
  assert.deepEqual(wireOf(server, a), ["POST /executions", `PATCH /executions/${a}`]);
  assert.deepEqual(wireOf(server, b), ["POST /executions", `PATCH /executions/${b}`]);
  assert.equal(server.requests.filter((r) => r.path === "/events").length, 2); // once each, no retry
  assert.equal(stats().rejected - before.rejected, 6);
  assert.equal(warnings.filter((w) => w.includes("400")).length, 1);
});

test("a 500 that persists is given up after maxServerErrorAttempts", async () => {
  const server = await startServer();
  configure({ baseUrl: server.baseUrl, ...FAST, maxServerErrorAttempts: 3 });
  captureWarnings();
  const before = stats();
  server.script({ status: 500, times: 3, match: (m, p) => m === "POST" && p === "/events" });
  const id = await runAgent();
  assert.equal(await flush(5000), true);
  assert.deepEqual(wireOf(server, id), ["POST /executions", `PATCH /executions/${id}`]);
  assert.equal(stats().failed - before.failed, 3);
  assert.equal(warnings.length, 1);
});

test("a full queue drops the oldest items, counts them and warns once, without blocking", async () => {
  const server = await startServer();
  const port = server.port;
  await server.stop();
  configure({ baseUrl: `http://127.0.0.1:${port}`, ...FAST, flushIntervalMs: 60_000, maxQueueSize: 5 });
  captureWarnings();
  const before = stats();
  let id = "";
  const agent = wrap(() => {
    id = currentExecutionId() as string;
    for (let i = 1; i <= 10; i++) checkpoint(`cp${i}`);
  });
  agent(); // create + 10 checkpoints + end = 12 items into a queue of 5
  const firstId = id;
  assert.equal(stats().dropped - before.dropped, 7);
  assert.equal(stats().queued, 5);
  const t0 = performance.now();
  for (let i = 0; i < 10_000; i++) agent(); // 120 000 items: only counted, never blocking
  const perCallUs = ((performance.now() - t0) * 1000) / 10_000;
  assert.ok(perCallUs < 200, `${perCallUs} µs per call`);
  assert.equal(warnings.filter((w) => w.includes("queue full")).length, 1);
  assert.equal(stats().queued, 5);

  // The newest items survive: the last execution's last four checkpoints and its end.
  const back = await startServer(port);
  assert.equal(await flush(5000), true);
  const evs = back.events();
  assert.deepEqual(evs.map((e) => e.payload.name), ["cp7", "cp8", "cp9", "cp10"]);
  assert.deepEqual(evs.map((e) => e.sequence), [7, 8, 9, 10]);
  const patches = back.ingest().filter((r) => r.method === "PATCH");
  assert.equal(patches.length, 1);
  assert.equal(patches[0]?.path, `/executions/${id}`); // the last run's end
  assert.notEqual(id, firstId);
  assert.ok(evs.every((e) => e.execution_id === id));
});

test("events are batched by at most batchSize, in sequence order", async () => {
  const server = await startServer();
  configure({ baseUrl: server.baseUrl, ...FAST, maxQueueSize: 10_000 });
  let id = "";
  const agent = wrap(() => {
    id = currentExecutionId() as string;
    for (let i = 1; i <= 250; i++) checkpoint(`cp${i}`);
  });
  agent();
  assert.equal(await flush(5000), true);
  const batches = server.ingest().filter((r) => r.path === "/events");
  assert.deepEqual(batches.map((b) => b.body.length), [100, 100, 50]);
  const seqs = batches.flatMap((b) => b.body.map((e: { sequence: number }) => e.sequence));
  assert.deepEqual(seqs, Array.from({ length: 250 }, (_, i) => i + 1));
  assert.deepEqual(wireOf(server, id)[0], "POST /executions");
  assert.deepEqual(wireOf(server, id).at(-1), `PATCH /executions/${id}`);
});

test("concurrent executions each keep create → events → end order through retries", async () => {
  const server = await startServer();
  configure({ baseUrl: server.baseUrl, ...FAST });
  server.script({ status: 500, times: 3 });
  const ids = await Promise.all(Array.from({ length: 8 }, () => runAgent()));
  assert.equal(await flush(5000), true);
  for (const id of ids) {
    const wire = wireOf(server, id);
    assert.equal(wire[0], "POST /executions");
    assert.equal(wire.at(-1), `PATCH /executions/${id}`);
    const evs = server.events().filter((e) => e.execution_id === id);
    assert.deepEqual(evs.map((e) => e.sequence), [1, 2, 3]);
  }
});
