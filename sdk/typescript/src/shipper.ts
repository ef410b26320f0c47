import { requestHeaders, type ResolvedConfig } from "./config.js";
import { Deque } from "./deque.js";

/** What the agent's thread hands to the shipper: one execution create, event or end. */
export interface Item {
  kind: "create" | "event" | "patch";
  executionId: string;
  body: Record<string, unknown>;
}

type Entry = Item & { seq: number; json?: string };

/** Counters of the shipper, for monitoring and tests. Item counts, not request counts. */
export interface ShipperStats {
  /** Items waiting to be sent. */
  queued: number;
  /** Items in the request being sent now. */
  inFlight: number;
  /** Items the server accepted (status < 400). */
  sent: number;
  /** Oldest items dropped because the queue was full. */
  dropped: number;
  /** Items the server refused with a 4xx other than 429 (not retried). */
  rejected: number;
  /** Items given up after repeated 5xx answers, or left unsent when the exit flush timed out. */
  failed: number;
  /** Retries made (network errors, 5xx, 429). */
  retries: number;
}

// A POST /events body stays under this many bytes (the server's default limit is 5 MiB).
const MAX_BATCH_BYTES = 4 * 1024 * 1024;

function warn(message: string): void {
  try {
    console.warn(`[vigil] ${message}`);
  } catch {
    // a broken console must not break the agent
  }
}

/**
 * How warnings name the last request's failure; undefined when it succeeded. A server that answered
 * 429 is neither unreachable nor failing: it asked the SDK to slow down.
 */
function failureCause(status: number): string | undefined {
  if (status === 0) return "is unreachable";
  if (status === 429) return "answered rate limited (429); raise the project's rate limit or send less";
  if (status >= 500) return `is failing (HTTP ${status})`;
  if (status >= 400) return `refused the requests (HTTP ${status})`;
  return undefined;
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date; undefined when absent or invalid. */
export function parseRetryAfter(value: string | null): number | undefined {
  if (value === null) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const date = Date.parse(v);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - Date.now());
}

/**
 * The background shipper. The agent only ever calls `enqueue`, which is O(1), never blocks and
 * never throws. One drain loop sends the queue head first with one request in flight, so each
 * execution's create → events → end order holds by construction; consecutive events are batched
 * (up to `batchSize`, or whatever is queued after `flushIntervalMs`).
 *
 * Retries: network errors, 429 and 503 are retried until they succeed (honouring Retry-After), since
 * they say nothing about the request itself — the queue bound limits what waits meanwhile. Other 5xx
 * get `maxServerErrorAttempts` attempts, so one poisonous batch cannot stall the queue forever. Other
 * 4xx are dropped with a warning. Timers are unref'd: the shipper never keeps a process alive, and
 * on `beforeExit` it flushes for at most `exitFlushTimeoutMs`.
 */
export class Shipper {
  private cfg: ResolvedConfig;
  private readonly queue = new Deque<Entry>(1024);
  private inFlightEntries: Entry[] = [];
  private lastSeq = 0;
  private drainTarget = 0;
  private draining = false;
  private batchTimer: NodeJS.Timeout | undefined;
  private sleeper: { timer: NodeJS.Timeout; resolve: () => void } | undefined;
  private readonly waiters = new Set<{ target: number; resolve: (ok: boolean) => void; timer?: NodeJS.Timeout }>();
  private exitHooked = false;
  private exiting = false;
  private exitDeadline: number | undefined;
  private warnedOverflow = false;
  private readonly warnedStatus = new Set<number>();
  /** Why the last request failed (undefined: it succeeded), for the warnings at exit. */
  private lastFailure: string | undefined;
  private readonly counters = { sent: 0, dropped: 0, rejected: 0, failed: 0, retries: 0 };

  constructor(cfg: ResolvedConfig) {
    this.cfg = cfg;
  }

  /** Applies a new configuration; a retry waiting on the old server is woken to try the new one. */
  reconfigure(cfg: ResolvedConfig): void {
    this.cfg = cfg;
    this.wake();
  }

  get config(): ResolvedConfig {
    return this.cfg;
  }

  stats(): ShipperStats {
    return { queued: this.queue.length, inFlight: this.inFlightEntries.length, ...this.counters };
  }

  enqueue(item: Item): void {
    if (!this.cfg.enabled) return;
    if (this.queue.length >= this.cfg.maxQueueSize) {
      this.queue.shift();
      this.counters.dropped++;
      if (!this.warnedOverflow) {
        this.warnedOverflow = true;
        warn(
          `queue full (${this.cfg.maxQueueSize} items): dropping the oldest; ` +
            "further drops are only counted (stats().dropped)",
        );
      }
      this.notifyWaiters();
    }
    const entry = item as Entry;
    entry.seq = ++this.lastSeq;
    this.queue.push(entry);
    if (!this.exitHooked) this.hookExit();
    this.kick();
  }

  /**
   * Resolves true once every item enqueued before the call is sent or given up, false after
   * `timeoutMs`. Never rejects.
   */
  flush(timeoutMs = 10_000): Promise<boolean> {
    const target = this.lastSeq;
    if (this.lowestPending() > target) return Promise.resolve(true);
    this.drainTarget = Math.max(this.drainTarget, target);
    this.startDrain();
    return new Promise((resolve) => {
      const waiter: { target: number; resolve: (ok: boolean) => void; timer?: NodeJS.Timeout } = {
        target,
        resolve,
      };
      if (Number.isFinite(timeoutMs)) {
        waiter.timer = setTimeout(() => {
          this.waiters.delete(waiter);
          resolve(false);
        }, Math.max(0, timeoutMs));
        // Left ref'd on purpose: an awaited flush is an explicit request to wait (at most
        // timeoutMs), so the code after it must get to run even while the server is down.
      }
      this.waiters.add(waiter);
    });
  }

  // ---- drain loop -------------------------------------------------------------------------------

  private kick(): void {
    if (this.draining) return; // the running loop picks new items up
    if (this.exiting || this.queue.length >= this.cfg.batchSize) {
      this.startDrain();
    } else if (!this.batchTimer) {
      this.batchTimer = setTimeout(() => {
        this.batchTimer = undefined;
        this.drainTarget = Math.max(this.drainTarget, this.lastSeq);
        this.startDrain();
      }, this.cfg.flushIntervalMs);
      this.batchTimer.unref();
    }
  }

  private startDrain(): void {
    if (this.batchTimer) {
      clearTimeout(this.batchTimer);
      this.batchTimer = undefined;
    }
    if (!this.draining) void this.drain();
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      for (;;) {
        const head = this.queue.peek();
        if (!head) break;
        if (!this.exiting && head.seq > this.drainTarget && this.queue.length < this.cfg.batchSize) break;
        if (this.exitExpired()) break;
        await this.send(this.takeBatch());
      }
    } catch (err) {
      warn(`shipper error (ignored): ${String(err)}`);
    } finally {
      this.draining = false;
    }
    if (this.queue.length > 0 && !this.exitExpired()) this.kick();
  }

  private takeBatch(): Entry[] {
    const head = this.queue.shift() as Entry;
    if (head.kind !== "event") return [head];
    const batch = [head];
    let bytes = this.json(head).length + 2;
    for (;;) {
      const next = this.queue.peek();
      if (!next || next.kind !== "event" || batch.length >= this.cfg.batchSize) break;
      const size = this.json(next).length + 1;
      if (bytes + size > MAX_BATCH_BYTES) break;
      bytes += size;
      batch.push(this.queue.shift() as Entry);
    }
    return batch;
  }

  private json(e: Entry): string {
    if (e.json === undefined) {
      try {
        e.json = JSON.stringify(e.body);
      } catch {
        e.json = JSON.stringify({ ...e.body, payload: null });
      }
    }
    return e.json;
  }

  private request(batch: Entry[]): { method: string; path: string; body: string } {
    const head = batch[0] as Entry;
    switch (head.kind) {
      case "create":
        return { method: "POST", path: "/executions", body: this.json(head) };
      case "patch":
        return {
          method: "PATCH",
          path: `/executions/${encodeURIComponent(head.executionId)}`,
          body: this.json(head),
        };
      default:
        return { method: "POST", path: "/events", body: "[" + batch.map((e) => this.json(e)).join(",") + "]" };
    }
  }

  /** Sends one request until it succeeds or is given up. Never throws. */
  private async send(batch: Entry[]): Promise<void> {
    this.inFlightEntries = batch;
    const req = this.request(batch);
    const n = batch.length;
    let attempt = 0;
    try {
      for (;;) {
        const cfg = this.cfg;
        if (!cfg.enabled) return;
        let status = 0;
        let retryAfterMs: number | undefined;
        let failure = "";
        try {
          const res = await fetch(cfg.baseUrl + req.path, {
            method: req.method,
            headers: requestHeaders(cfg),
            body: req.body,
            signal: AbortSignal.timeout(cfg.requestTimeoutMs),
          });
          status = res.status;
          retryAfterMs = parseRetryAfter(res.headers.get("retry-after"));
          await res.arrayBuffer().catch(() => undefined); // frees the connection for reuse
        } catch (err) {
          failure = err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
        }
        if (cfg.debug) {
          console.debug(`[vigil] ${req.method} ${req.path} (${n} item(s)) -> ${status || failure}`);
        }
        this.lastFailure = failureCause(status);
        if (status >= 200 && status < 400) {
          this.counters.sent += n;
          this.warnedStatus.delete(429); // a later episode of rate limiting is reported again
          return;
        }
        attempt++;
        if (status === 429 && !this.warnedStatus.has(429)) {
          this.warnedStatus.add(429);
          const wait = retryAfterMs !== undefined ? ` after Retry-After (${retryAfterMs / 1000} s)` : "";
          warn(`${req.method} ${req.path}: rate limited (429); retrying${wait}, queued data is kept`);
        }
        if (status >= 400 && status < 500 && status !== 429) {
          this.counters.rejected += n;
          if (!this.warnedStatus.has(status)) {
            this.warnedStatus.add(status);
            warn(`${req.method} ${req.path} answered ${status}: dropping ${n} item(s) (not retried)`);
          }
          return;
        }
        if (status >= 500 && status !== 503 && attempt >= cfg.maxServerErrorAttempts) {
          this.counters.failed += n;
          warn(`${req.method} ${req.path} answered ${status} ${attempt} times: dropping ${n} item(s)`);
          return;
        }
        if (this.exitExpired()) {
          this.requeue(batch);
          return;
        }
        const backoff = Math.min(cfg.maxRetryDelayMs, cfg.retryBaseDelayMs * 2 ** Math.min(attempt - 1, 30));
        const delay =
          retryAfterMs !== undefined ? Math.min(retryAfterMs, cfg.maxRetryDelayMs) : backoff / 2 + (Math.random() * backoff) / 2;
        this.counters.retries++;
        await this.sleep(delay);
        if (this.exitExpired()) {
          this.requeue(batch);
          return;
        }
      }
    } finally {
      this.inFlightEntries = [];
      this.notifyWaiters();
    }
  }

  /** Puts an unsent batch back at the head of the queue (exit flush ran out of time). */
  private requeue(batch: Entry[]): void {
    for (let i = batch.length - 1; i >= 0; i--) this.queue.unshift(batch[i] as Entry);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      let wait = ms;
      if (this.exiting && this.exitDeadline !== undefined) wait = Math.min(wait, Math.max(0, this.exitDeadline - Date.now()));
      const timer = setTimeout(() => {
        this.sleeper = undefined;
        resolve();
      }, wait);
      if (!this.exiting) timer.unref(); // while exiting, the flush is what keeps the process up
      this.sleeper = { timer, resolve };
    });
  }

  private wake(): void {
    const s = this.sleeper;
    if (s) {
      this.sleeper = undefined;
      clearTimeout(s.timer);
      s.resolve();
    }
  }

  // ---- flush bookkeeping ------------------------------------------------------------------------

  private lowestPending(): number {
    const inFlight = this.inFlightEntries[0];
    if (inFlight) return inFlight.seq;
    const head = this.queue.peek();
    return head ? head.seq : Infinity;
  }

  private notifyWaiters(): void {
    if (this.waiters.size === 0) return;
    const low = this.lowestPending();
    for (const w of this.waiters) {
      if (low > w.target) {
        this.waiters.delete(w);
        if (w.timer) clearTimeout(w.timer);
        w.resolve(true);
      }
    }
  }

  // ---- process exit -----------------------------------------------------------------------------

  private hookExit(): void {
    this.exitHooked = true;
    process.on("beforeExit", () => this.onBeforeExit());
    // process.exit() skips beforeExit: nothing can be sent any more, but say what was lost.
    process.on("exit", () => {
      const left = this.queue.length + this.inFlightEntries.length;
      if (left > 0 && this.cfg.enabled) {
        warn(`${left} item(s) not sent: call \`await flush()\` before process.exit()${this.causeText()}`);
      }
    });
  }

  /** "; the Vigil server at URL <why>" after a failed request, else "". */
  private causeText(): string {
    return this.lastFailure ? `; the Vigil server at ${this.cfg.baseUrl} ${this.lastFailure}` : "";
  }

  private exitExpired(): boolean {
    return this.exiting && this.exitDeadline !== undefined && Date.now() >= this.exitDeadline;
  }

  private onBeforeExit(): void {
    try {
      if (this.lowestPending() === Infinity || !this.cfg.enabled) return;
      const now = Date.now();
      if (this.exitDeadline === undefined) this.exitDeadline = now + this.cfg.exitFlushTimeoutMs;
      if (now >= this.exitDeadline) {
        const left = this.queue.length;
        if (left > 0) {
          // Cleared so a process that keeps running after beforeExit does not re-warn.
          this.counters.failed += left;
          while (this.queue.shift()) {
            // drop
          }
          warn(`exit flush timed out: ${left} item(s) not sent${this.causeText()}`);
          this.notifyWaiters();
        }
        return;
      }
      this.exiting = true;
      this.drainTarget = this.lastSeq;
      this.wake(); // a retry sleeping on an unref'd timer resumes, now on ref'd ones
      this.startDrain();
    } catch {
      // never let the SDK break process exit
    }
  }
}
