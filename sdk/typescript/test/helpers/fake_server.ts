import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, beforeEach } from "node:test";
import { configure } from "../../src/index.js";

/** One request as the fake server saw it. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  raw: string;
  body: any;
  /** The status the fake answered. */
  status: number;
}

/** A scripted answer for the next request(s) matching `match`. */
export interface ScriptedResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  match?: (method: string, path: string) => boolean;
  /** How many matching requests get this answer. Default 1. */
  times?: number;
}

/** Listens on 127.0.0.1:`port` (0 = a free one); the port, once listening. */
export async function listenLocal(server: Server, port = 0): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

/** Stops listening and drops every connection. */
export async function closeServer(server: Server): Promise<void> {
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/**
 * A stand-in for the Vigil server, on 127.0.0.1 and a free port: records every request, answers
 * the ingestion routes as the protocol says (unless scripted otherwise) and serves halt streams
 * whose halt frame a test triggers with `halt()`.
 */
export class FakeVigil {
  readonly requests: RecordedRequest[] = [];
  private server: Server | undefined;
  private scripted: ScriptedResponse[] = [];
  private readonly pendingHalts = new Map<string, string>();
  private readonly streams = new Map<string, ServerResponse[]>();
  port = 0;

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Listens on `port` (0 = a free one) and resolves once listening. */
  async start(port = 0): Promise<this> {
    const server = createServer((req, res) => this.handle(req, res));
    server.keepAliveTimeout = 1000;
    this.port = await listenLocal(server, port);
    this.server = server;
    return this;
  }

  /** Stops listening and drops every connection (open halt streams included). */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const list of this.streams.values()) for (const r of list) r.destroy();
    this.streams.clear();
    await closeServer(server);
  }

  /** Answers the next matching request(s) with `r` instead of the normal answer. */
  script(r: ScriptedResponse): void {
    this.scripted.push({ times: 1, ...r });
  }

  /** Requests a halt: sent to open streams of `id` at once, else to the next one that subscribes. */
  halt(id: string, reason: string): number {
    const open = this.streams.get(id) ?? [];
    this.streams.delete(id);
    for (const res of open) this.sendHalt(res, reason);
    if (open.length === 0) this.pendingHalts.set(id, reason);
    return open.length;
  }

  /** Ends the open halt streams of `id` without a halt frame (as a server restart would). */
  dropStreams(id: string): number {
    const open = this.streams.get(id) ?? [];
    this.streams.delete(id);
    for (const res of open) res.end();
    return open.length;
  }

  /** Number of halt streams of `id` open now. */
  openStreams(id: string): number {
    return (this.streams.get(id) ?? []).length;
  }

  /** Sends raw SSE text to the open streams of `id` (keepalives, malformed frames). */
  sendRaw(id: string, text: string): number {
    const open = this.streams.get(id) ?? [];
    for (const res of open) res.write(text);
    return open.length;
  }

  /** Ingestion requests only (halt streams left out). */
  ingest(): RecordedRequest[] {
    return this.requests.filter((r) => !r.path.endsWith("/halt-stream") && r.status < 300);
  }

  /** All events accepted so far, in arrival order. */
  events(): any[] {
    return this.ingest()
      .filter((r) => r.method === "POST" && r.path === "/events")
      .flatMap((r) => r.body);
  }

  /** Resolves when `pred` holds (polled every 10 ms); rejects after `timeoutMs`. */
  async waitFor(pred: () => boolean, timeoutMs = 5000, what = "condition"): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!pred()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  private sendHalt(res: ServerResponse, reason: string): void {
    res.write(`event: halt\ndata: ${JSON.stringify({ reason })}\n\n`);
    res.end();
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks).toString("utf8");
      let body: unknown = undefined;
      try {
        body = raw ? JSON.parse(raw) : undefined;
      } catch {
        body = undefined;
      }
      const method = req.method ?? "GET";
      const path = req.url ?? "/";
      const rec: RecordedRequest = { method, path, headers: req.headers, raw, body, status: 0 };
      this.requests.push(rec);

      const idx = this.scripted.findIndex((s) => !s.match || s.match(method, path));
      if (idx >= 0) {
        const s = this.scripted[idx] as ScriptedResponse;
        s.times = (s.times ?? 1) - 1;
        if (s.times <= 0) this.scripted.splice(idx, 1);
        rec.status = s.status;
        res.writeHead(s.status, { "Content-Type": "application/json", ...(s.headers ?? {}) });
        res.end(s.body ?? JSON.stringify({ ok: false, error: "scripted" }));
        return;
      }

      const stream = /^\/executions\/([^/]+)\/halt-stream$/.exec(path);
      if (method === "GET" && stream) {
        const id = decodeURIComponent(stream[1] as string);
        rec.status = 200;
        res.writeHead(200, {
          "Content-Type": "text/event-stream",
          "Cache-Control": "no-cache, no-transform",
          Connection: "keep-alive",
        });
        res.write(`: subscribed execution=${id}\n\n`);
        const pending = this.pendingHalts.get(id);
        if (pending !== undefined) {
          this.pendingHalts.delete(id);
          this.sendHalt(res, pending);
          return;
        }
        const list = this.streams.get(id) ?? [];
        list.push(res);
        this.streams.set(id, list);
        res.on("close", () => {
          const l = this.streams.get(id);
          if (l) this.streams.set(id, l.filter((r) => r !== res));
        });
        return;
      }

      rec.status = 200;
      let reply: unknown = { ok: true };
      if (method === "POST" && path === "/executions") {
        reply = { ok: true, execution_id: (body as { execution_id?: string })?.execution_id, status: "started", created: true };
      } else if (method === "PATCH" && path.startsWith("/executions/")) {
        reply = { ok: true, execution_id: decodeURIComponent(path.slice(12)), status: (body as { status?: string })?.status, created: false };
      } else if (method === "POST" && path === "/events") {
        const n = Array.isArray(body) ? body.length : 0;
        reply = { ok: true, accepted: n, rejected: 0, duplicates: 0, errors: [] };
      } else if (method === "GET" && path === "/health") {
        reply = { ok: true, service: "vigil", version: "0.0.0-fake", time: new Date().toISOString() };
      } else {
        rec.status = 404;
        reply = { ok: false, error: "not found" };
      }
      res.writeHead(rec.status, { "Content-Type": "application/json" });
      res.end(JSON.stringify(reply));
    });
  }
}

/** A fake server, started, with the SDK configured to send to it every `flushIntervalMs`. */
export async function startConfigured(apiKey?: string, flushIntervalMs = 10): Promise<FakeVigil> {
  const server = await new FakeVigil().start();
  configure({ baseUrl: server.baseUrl, apiKey, flushIntervalMs });
  return server;
}

/**
 * For a test file: a configured fake server started before its tests and stopped after them;
 * `sinceTestStart()` gives the requests recorded since the running test began.
 */
export function useConfiguredServer(apiKey?: string, flushIntervalMs = 10) {
  let seen = 0;
  const fake = {
    server: undefined as unknown as FakeVigil,
    sinceTestStart: () => fake.server.ingest().slice(seen),
  };
  before(async () => {
    fake.server = await startConfigured(apiKey, flushIntervalMs);
  });
  after(async () => {
    await fake.server.stop();
  });
  beforeEach(() => {
    seen = fake.server.ingest().length;
  });
  return fake;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
