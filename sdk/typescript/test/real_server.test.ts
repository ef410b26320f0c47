import assert from "node:assert/strict";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import {
  Budget,
  checkpoint,
  configure,
  currentExecutionId,
  emitLlmCall,
  flush,
  tool,
  validatorResult,
  VigilHalt,
  wrap,
} from "../src/index.js";
import { sleep } from "./helpers/fake_server.js";

// End to end against the real server: set VIGIL_BIN to the vigil binary (e.g. build/vigil). The
// suite starts it on a free loopback port with a fresh database and the dev bootstrap, and reads
// back through the API what the SDK sent. Skipped only when VIGIL_BIN is unset.

const BIN = process.env.VIGIL_BIN;
const KEY = "vigil_sk_sdk_ts_e2e_key";

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}


if (!BIN) test("against the real vigil server", { skip: "VIGIL_BIN is not set (path to the vigil binary)" }, () => {});
else describe("against the real vigil server", () => {
  let dir = "";
  let port = 0;
  let proc: ChildProcess | undefined;
  let log = "";
  const base = () => `http://127.0.0.1:${port}`;

  async function startServer(): Promise<void> {
    log = "";
    proc = spawn(BIN as string, [], {
      env: {
        ...process.env,
        VIGIL_PORT: String(port),
        VIGIL_BIND: "127.0.0.1",
        VIGIL_DB: join(dir, "v.db"),
        VIGIL_DEV: "1",
        VIGIL_DEV_KEY: KEY,
        VIGIL_LOG_LEVEL: "warn",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    proc.stdout?.on("data", (d) => (log += d));
    proc.stderr?.on("data", (d) => (log += d));
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        const res = await fetch(`${base()}/health`);
        if (res.status === 200) return;
      } catch {
        // not listening yet
      }
      if (proc.exitCode !== null) throw new Error(`vigil exited with ${proc.exitCode}:\n${log}`);
      if (Date.now() > deadline) throw new Error(`vigil did not become healthy:\n${log}`);
      await sleep(50);
    }
  }

  async function stopServer(): Promise<void> {
    const p = proc;
    proc = undefined;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once("exit", r));
    p.kill("SIGTERM");
    const killer = setTimeout(() => p.kill("SIGKILL"), 15_000);
    await exited;
    clearTimeout(killer);
  }

  async function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
    const res = await fetch(base() + path, {
      method,
      headers: { Authorization: `Bearer ${KEY}`, "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, json: await res.json() };
  }

  async function detail(id: string) {
    const r = await api("GET", `/executions/${id}`);
    assert.equal(r.status, 200, JSON.stringify(r.json));
    return r.json;
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "vigil-sdk-e2e-"));
    port = await freePort();
    await startServer();
    configure({ baseUrl: base(), apiKey: KEY, flushIntervalMs: 20, retryBaseDelayMs: 50, maxRetryDelayMs: 500 });
  });

  after(async () => {
    await flush(2000);
    await stopServer();
    rmSync(dir, { recursive: true, force: true });
  });

  test("a wrapped agent run appears with its events, tokens and status", async () => {
    let id = "";
    const search = tool(async function search(q: string) {
      return [`doc about ${q}`];
    });
    const agent = wrap(
      async (question: string) => {
        id = currentExecutionId() as string;
        emitLlmCall({ model: "gpt-4o", systemPrompt: "sys", userMessage: question, inputTokens: 1200, outputTokens: 300, durationMs: 40 });
        await search("vigil");
        checkpoint("mid", { step: 1 });
        validatorResult("schema", true);
        emitLlmCall({ model: "gpt-4o", systemPrompt: "sys", userMessage: "summarize", inputTokens: 800, outputTokens: 200 });
        return "answer";
      },
      { name: "e2e" },
    );
    assert.equal(await agent("what is vigil?"), "answer");
    assert.equal(await flush(5000), true);

    const d = await detail(id);
    assert.equal(d.ok, true);
    assert.equal(typeof d.execution, "object");
    assert.ok(Array.isArray(d.events));
    const e = d.execution;
    assert.equal(e.execution_id, id);
    assert.equal(e.project_id, "proj-dev");
    assert.equal(e.status, "completed");
    assert.equal(e.total_tokens_in, 2000);
    assert.equal(e.total_tokens_out, 500);
    assert.ok(Math.abs(e.estimated_cost_usd - (2000 * 2.5 + 500 * 10) / 1e6) < 1e-9);
    assert.equal(e.sdk_language, "typescript");
    assert.match(e.started_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.match(e.ended_at, /Z$/);
    assert.equal(e.crash_signature, undefined);
    assert.deepEqual(
      d.events.map((ev: { event_type: string; sequence: number }) => [ev.sequence, ev.event_type]),
      [
        [1, "llm_call"],
        [2, "tool_call"],
        [3, "checkpoint"],
        [4, "validator_result"],
        [5, "llm_call"],
      ],
    );
    assert.equal(d.events[0].payload.model, "gpt-4o");
    assert.equal(d.events[0].duration_ms, 40);
    assert.equal(d.events[1].payload.tool_name, "search");
  });

  test("crashes from the same place group under one signature", async () => {
    const ids: string[] = [];
    const step = tool(function parsePlan(text: string) {
      return JSON.parse(text);
    });
    const agent = wrap(async () => {
      ids.push(currentExecutionId() as string);
      await sleep(1);
      step("{not json");
    });
    for (let i = 0; i < 2; i++) await assert.rejects(agent(), SyntaxError);
    assert.equal(await flush(5000), true);
    const [a, b] = [await detail(ids[0] as string), await detail(ids[1] as string)];
    assert.equal(a.execution.status, "crashed");
    assert.match(a.execution.crash_signature, /^[0-9a-f]{16}$/);
    assert.equal(a.execution.crash_signature, b.execution.crash_signature);
    assert.ok(a.execution.failure_group_id, "a crash finding groups the execution");
    assert.equal(a.execution.failure_group_id, b.execution.failure_group_id);
    const f = a.findings.find((x: { detector: string }) => x.detector === "crash");
    assert.equal(f?.signature, a.execution.crash_signature);
    // The cause is stored beside the signature: the error, and the frame that threw it last.
    assert.equal(a.execution.exception.type, "SyntaxError");
    assert.match(a.execution.exception.message, /JSON/);
    const frames = a.execution.exception.frames as Array<{ function?: string }>;
    assert.ok(frames.some((fr) => fr.function === "parsePlan"));
  });

  test("a local budget halts the agent and the execution is reported halted", async () => {
    let id = "";
    const agent = wrap(
      async () => {
        id = currentExecutionId() as string;
        for (;;) {
          emitLlmCall({ model: "gpt-4o-mini", inputTokens: 10, outputTokens: 10 });
          await sleep(1);
        }
      },
      { budget: new Budget({ maxSteps: 3, maxWallClockSeconds: 30 }) },
    );
    await assert.rejects(agent(), (e) => e instanceof VigilHalt && e.trigger === "step_count");
    assert.equal(await flush(5000), true);
    const d = await detail(id);
    assert.equal(d.execution.status, "halted");
    assert.equal(d.execution.crash_signature, "halt:step_count");
    assert.equal(d.execution.halt_reason, "step budget exceeded: 4 llm calls > 3");
    assert.equal(d.events.length, 4);
  });

  test("a remote halt arrives over the halt stream", async () => {
    let id = "";
    const agent = wrap(
      async () => {
        id = currentExecutionId() as string;
        for (;;) {
          checkpoint("working");
          await sleep(20);
        }
      },
      { remoteHalt: true },
    );
    const run = agent();
    const outcome = assert.rejects(run, (e) => e instanceof VigilHalt && e.trigger === "remote_signal" && e.reason === "stop from e2e");
    while (!id) await sleep(5);
    await flush(5000); // the execution exists before it is halted
    const h = await api("POST", `/executions/${id}/halt`, { reason: "stop from e2e" });
    assert.equal(h.status, 200, JSON.stringify(h.json));
    await outcome;
    assert.equal(await flush(5000), true);
    const d = await detail(id);
    assert.equal(d.execution.status, "halted");
    assert.equal(d.execution.crash_signature, "halt:remote_signal");
    assert.equal(d.execution.halt_reason, "stop from e2e");
  });

  test("with the server down the agent runs on, and its data arrives once the server is back", async () => {
    await stopServer();
    let id = "";
    const agent = wrap(async () => {
      id = currentExecutionId() as string;
      emitLlmCall({ model: "gpt-4o", inputTokens: 5, outputTokens: 5 });
      checkpoint("offline");
      return "still fine";
    });
    assert.equal(await agent(), "still fine");
    assert.equal(await flush(300), false);
    await startServer();
    assert.equal(await flush(10_000), true);
    const d = await detail(id);
    assert.equal(d.execution.status, "completed");
    assert.equal(d.events.length, 2);
  });

  test("the halt command examples/remote_halt prints stops it at once", async () => {
    const example = fileURLToPath(new URL("../examples/remote_halt.js", import.meta.url));
    const env = { ...process.env, VIGIL_BASE_URL: base(), VIGIL_API_KEY: KEY };
    const child = spawn(process.execPath, [example, "30"], { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout?.on("data", (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    try {
      const deadline = Date.now() + 10_000;
      while (!/^\s*curl .*$/m.test(out)) {
        assert.ok(Date.now() < deadline, `no curl command printed: ${out}`);
        await sleep(20);
      }
      const command = (/^\s*(curl .*)$/m.exec(out) as RegExpExecArray)[1] as string;
      assert.match(command, /Content-Type: application\/json/);
      let answer = "";
      for (let i = 0; i < 5; i++) {
        // The documented retry: 404 with Retry-After while the execution's creation is in flight.
        answer = execFileSync("bash", ["-c", `${command} -s -w '\\n%{http_code}'`], { env, encoding: "utf8" });
        if (answer.endsWith("200")) break;
        assert.ok(answer.endsWith("404") && answer.includes("retry"), answer);
        await sleep(1000);
      }
      assert.ok(answer.endsWith("200"), answer);
      assert.equal(await exited, 0);
      assert.match(out, /halted remotely: enough/);
    } finally {
      child.kill();
    }
  });
});
