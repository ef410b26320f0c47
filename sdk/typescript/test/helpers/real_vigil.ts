import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before } from "node:test";
import { type Budget, configure, currentExecutionId, flush, wrap } from "../../src/index.js";
import { sleep } from "./fake_server.js";

// The real vigil server for end-to-end tests: VIGIL_BIN names the binary (e.g. build/vigil). It
// runs on a free loopback port with a fresh database and the dev bootstrap (project `proj-dev`,
// key KEY), and tests read back through its API what the SDK sent.

/** The path of the vigil binary, or undefined when the end-to-end tests are to be skipped. */
export const VIGIL_BIN = process.env.VIGIL_BIN;

/** Why end-to-end tests skip, for `test(name, { skip: SKIP_WITHOUT_BIN }, ...)`. */
export const SKIP_WITHOUT_BIN = VIGIL_BIN ? false : "VIGIL_BIN is not set (path to the vigil binary)";

/** The dev bootstrap key the server is started with. */
export const KEY = "vigil_sk_sdk_ts_e2e_key";

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

/** One wrapped run as the server stored it. */
export interface RecordedRun<T> {
  result: T | undefined;
  /** What the run threw, if it did. */
  error: unknown;
  /** The stored execution. */
  execution: any;
  /** The payloads of its stored events of `type`, each with the event's `duration_ms`, in order. */
  events(type: string): any[];
}

/** One vigil process over one database directory; `stop()` then `start()` keeps the database. */
export class RealVigil {
  private dir = "";
  private port = 0;
  private proc: ChildProcess | undefined;
  private log = "";

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Starts the server (on a new port and database the first time) and waits until healthy. */
  async start(): Promise<this> {
    if (!this.dir) this.dir = mkdtempSync(join(tmpdir(), "vigil-sdk-e2e-"));
    if (!this.port) this.port = await freePort();
    this.log = "";
    const proc = spawn(VIGIL_BIN as string, [], {
      env: {
        ...process.env,
        VIGIL_PORT: String(this.port),
        VIGIL_BIND: "127.0.0.1",
        VIGIL_DB: join(this.dir, "v.db"),
        VIGIL_DEV: "1",
        VIGIL_DEV_KEY: KEY,
        VIGIL_LOG_LEVEL: "warn",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.proc = proc;
    proc.stdout?.on("data", (d) => (this.log += d));
    proc.stderr?.on("data", (d) => (this.log += d));
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        if ((await fetch(`${this.baseUrl}/health`)).status === 200) return this;
      } catch {
        // not listening yet
      }
      if (proc.exitCode !== null) throw new Error(`vigil exited with ${proc.exitCode}:\n${this.log}`);
      if (Date.now() > deadline) throw new Error(`vigil did not become healthy:\n${this.log}`);
      await sleep(50);
    }
  }

  /** Stops the server (SIGTERM, SIGKILL after 15 s); the database stays for a later `start()`. */
  async stop(): Promise<void> {
    const p = this.proc;
    this.proc = undefined;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once("exit", r));
    p.kill("SIGTERM");
    const killer = setTimeout(() => p.kill("SIGKILL"), 15_000);
    await exited;
    clearTimeout(killer);
  }

  /** Stops the server and deletes its database. */
  async dispose(): Promise<void> {
    await this.stop();
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }

  /** One authenticated API request; the answer's status and JSON body. */
  async api(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
    const res = await fetch(this.baseUrl + path, {
      method,
      headers: { Authorization: `Bearer ${KEY}`, "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, json: await res.json() };
  }

  /** `GET /executions/{id}`: the execution, its events and findings (asserts 200). */
  async detail(id: string): Promise<any> {
    const r = await this.api("GET", `/executions/${encodeURIComponent(id)}`);
    assert.equal(r.status, 200, JSON.stringify(r.json));
    return r.json;
  }

  /**
   * Runs `body` as one wrapped execution named `name` (with `budget`), flushes the SDK and reads the
   * execution back: its result or error, the stored execution and its events.
   */
  async recordedRun<T>(name: string, body: () => T | Promise<T>, budget?: Budget): Promise<RecordedRun<T>> {
    let id = "";
    let result: T | undefined;
    let error: unknown;
    try {
      result = await wrap(async () => {
        id = currentExecutionId() as string;
        return body();
      }, { name, budget })();
    } catch (err) {
      error = err;
    }
    assert.equal(await flush(5000), true, "the SDK's queue drained");
    const d = await this.detail(id);
    const stored = d.events as Array<{ event_type: string; payload: any; duration_ms?: number }>;
    const events = (type: string) =>
      stored.filter((e) => e.event_type === type).map((e) => ({ ...e.payload, duration_ms: e.duration_ms }));
    return { result, error, execution: d.execution, events };
  }
}

/**
 * For a test file: a real server started before its tests, with the SDK configured to send to it,
 * and stopped (its database deleted) after them. Use only when VIGIL_BIN is set.
 */
export function useRealVigil(): RealVigil {
  const server = new RealVigil();
  before(async () => {
    await server.start();
    configure({ baseUrl: server.baseUrl, apiKey: KEY, flushIntervalMs: 20, retryBaseDelayMs: 50, maxRetryDelayMs: 500 });
  });
  after(async () => {
    await flush(2000);
    await server.dispose();
  });
  return server;
}
