import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  checkHalt,
  checkpoint,
  currentExecutionId,
  currentSignal,
  flush,
  VigilHalt,
  wrap,
} from "../src/index.js";
import { haltReason, SseParser } from "../src/halt_stream.js";
import { FakeVigil, sleep, startConfigured } from "./helpers/fake_server.js";

let server: FakeVigil;
before(async () => {
  server = await startConfigured("vigil_sk_halt");
});
after(() => server.stop());

const streamPath = (id: string) => `/executions/${id}/halt-stream`;

/** Inside an agent: the current execution's id, once its halt stream is open. */
async function idWithOpenStream(): Promise<string> {
  const id = currentExecutionId() as string;
  await server.waitFor(() => server.openStreams(id) === 1, 3000, "halt stream");
  return id;
}

/** Inside an agent: reaches a call point every few milliseconds until a halt is thrown. */
async function untilHalted(): Promise<never> {
  for (;;) {
    await sleep(5);
    checkHalt();
  }
}

test("the SSE parser handles split chunks, CRLF, comments and multi-line data", () => {
  const p = new SseParser();
  assert.deepEqual(p.push(": subscribed execution=exec-1\n\n: keep"), []);
  assert.deepEqual(p.push("alive\n\nevent: ha"), []);
  assert.deepEqual(p.push('lt\r\ndata: {"reason":\r\ndata: "x"}\r'), []);
  assert.deepEqual(p.push("\n\r\n"), [{ event: "halt", data: '{"reason":\n"x"}' }]);
  assert.deepEqual(p.push("data:plain\n\n"), [{ event: "message", data: "plain" }]);
  assert.equal(haltReason('{"reason":"budget blown"}'), "budget blown");
  assert.equal(haltReason("not json"), "remote halt");
  assert.equal(haltReason('{"reason":""}'), "remote halt");
});

test("a halt sent over the halt stream is thrown at the next call point and fires the signal", async () => {
  let id = "";
  let signalReason: unknown;
  let iterations = 0;
  const agent = wrap(
    async () => {
      id = currentExecutionId() as string;
      const signal = currentSignal() as AbortSignal;
      signal.addEventListener("abort", () => (signalReason = signal.reason));
      for (;;) {
        iterations++;
        checkpoint("step", { i: iterations });
        await sleep(10);
      }
    },
    { remoteHalt: true },
  );
  const run = agent();
  const outcome = assert.rejects(run, (e) => {
    assert.ok(e instanceof VigilHalt);
    assert.equal(e.trigger, "remote_signal");
    assert.equal(e.reason, "operator: stop now");
    return true;
  });
  await server.waitFor(() => server.openStreams(id) === 1, 3000, "halt stream");
  const streamReq = server.requests.find((r) => r.path === streamPath(id));
  assert.equal(streamReq?.headers["authorization"], "Bearer vigil_sk_halt");
  assert.equal(streamReq?.headers["x-mesedi-schema-version"], "1");
  server.sendRaw(id, ": keepalive\n\n");
  await sleep(30);
  assert.equal(server.halt(id, "operator: stop now"), 1);
  await outcome;
  assert.ok(signalReason instanceof VigilHalt);
  await flush();
  const end = server.ingest().find((r) => r.method === "PATCH" && r.path === `/executions/${id}`);
  assert.equal(end?.body.status, "halted");
  assert.equal(end?.body.crash_signature, "halt:remote_signal");
  // The halt stream was subscribed after the create was queued, and only once.
  assert.equal(server.requests.filter((r) => r.path === streamPath(id)).length, 1);
});

test("a halt requested before the stream subscribed arrives right away", async () => {
  let id = "";
  const agent = wrap(
    async () => {
      id = currentExecutionId() as string;
      server.halt(id, "halted early");
      // A long wait the halt interrupts through the signal.
      await new Promise((_resolve, reject) => {
        const signal = currentSignal() as AbortSignal;
        const timer = setTimeout(() => reject(new Error("signal never fired")), 5000);
        signal.addEventListener("abort", () => {
          clearTimeout(timer);
          reject(signal.reason);
        });
      });
    },
    { remoteHalt: true },
  );
  await assert.rejects(agent(), (e) => e instanceof VigilHalt && e.reason === "halted early");
  await flush();
  const end = server.ingest().find((r) => r.method === "PATCH" && r.path === `/executions/${id}`);
  assert.equal(end?.body.crash_signature, "halt:remote_signal");
});

test("the stream is closed when the execution ends", async () => {
  let id = "";
  const agent = wrap(
    async () => {
      id = await idWithOpenStream();
    },
    { remoteHalt: true },
  );
  await agent();
  await server.waitFor(() => server.openStreams(id) === 0, 3000, "stream closed");
  await flush();
});

test("a stream closed by the server without a halt is reopened", async () => {
  let id = "";
  const agent = wrap(
    async () => {
      id = await idWithOpenStream();
      server.dropStreams(id);
      await server.waitFor(() => server.openStreams(id) === 1, 3000, "reopened halt stream");
      server.halt(id, "second stream");
      await untilHalted();
    },
    { remoteHalt: true },
  );
  await assert.rejects(agent(), (e) => e instanceof VigilHalt && e.reason === "second stream");
  await flush();
  assert.equal(server.requests.filter((r) => r.path === streamPath(id)).length, 2);
});

test("a halt frame without JSON still halts, with reason 'remote halt'", async () => {
  let id = "";
  const agent = wrap(
    async () => {
      id = await idWithOpenStream();
      server.sendRaw(id, "event: halt\ndata: stop\n\n");
      await untilHalted();
    },
    { remoteHalt: true },
  );
  await assert.rejects(agent(), (e) => e instanceof VigilHalt && e.reason === "remote halt");
  await flush();
});
