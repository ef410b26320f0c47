import { requestHeaders, type ResolvedConfig } from "./config.js";
import { parseRetryAfter } from "./shipper.js";

/** An open halt stream; `close` ends it (idempotent). */
export interface HaltStreamHandle {
  close(): void;
}

const RECONNECT_BASE_MS = 1_000;
const RECONNECT_MAX_MS = 30_000;

/**
 * Parses server-sent events incrementally. Only `event` and `data` fields matter to the halt
 * stream (the server sends no `id:` or `retry:`); comment lines (`: keepalive`) are skipped.
 */
export class SseParser {
  private buffer = "";

  /** Feeds decoded text; returns the events completed by it. */
  push(text: string): Array<{ event: string; data: string }> {
    this.buffer += text;
    const out: Array<{ event: string; data: string }> = [];
    for (;;) {
      // CRLF and lone CR end lines too; a CR last in the buffer may be the first half of a CRLF.
      const normalized = this.buffer.replace(/\r\n/g, "\n").replace(/\r(?=[\s\S])/g, "\n");
      const end = normalized.indexOf("\n\n");
      if (end < 0) {
        this.buffer = normalized;
        return out;
      }
      const block = normalized.slice(0, end);
      this.buffer = normalized.slice(end + 2);
      let event = "message";
      const data: string[] = [];
      for (const line of block.split("\n")) {
        if (line === "" || line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? "" : line.slice(colon + 1);
        if (value.startsWith(" ")) value = value.slice(1);
        if (field === "event") event = value;
        else if (field === "data") data.push(value);
      }
      if (data.length > 0 || event !== "message") out.push({ event, data: data.join("\n") });
    }
  }
}

/** The reason carried by a halt frame: JSON `reason`, else `remote halt`. */
export function haltReason(data: string): string {
  try {
    const parsed: unknown = JSON.parse(data);
    if (parsed && typeof parsed === "object") {
      const reason = (parsed as { reason?: unknown }).reason;
      if (typeof reason === "string" && reason) return reason;
    }
  } catch {
    // not JSON: fall through
  }
  return "remote halt";
}

/**
 * Subscribes to `GET /executions/{id}/halt-stream` (docs/api.md#halt-stream) with fetch streaming and calls
 * `onHalt(reason)` on the first `event: halt` frame with non-empty data. Reconnects with backoff
 * while open (the server closes streams after an hour, and on restart); gives up on a 4xx other
 * than 429. Never throws; errors are silent (debug logs them).
 */
export function openHaltStream(
  cfg: ResolvedConfig,
  executionId: string,
  onHalt: (reason: string) => void,
): HaltStreamHandle {
  const closer = new AbortController();
  let closed = false;
  let sleepTimer: NodeJS.Timeout | undefined;
  let wakeSleep: (() => void) | undefined;
  const url = `${cfg.baseUrl}/executions/${encodeURIComponent(executionId)}/halt-stream`;
  const debug = (msg: string) => {
    if (cfg.debug) console.debug(`[vigil] halt-stream ${executionId}: ${msg}`);
  };

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      wakeSleep = resolve;
      sleepTimer = setTimeout(resolve, ms);
      sleepTimer.unref();
    });

  async function connectOnce(): Promise<{ done: boolean; retryAfterMs?: number; connected: boolean }> {
    const attempt = new AbortController();
    const abortAttempt = () => attempt.abort();
    closer.signal.addEventListener("abort", abortAttempt, { once: true });
    const connectTimer = setTimeout(abortAttempt, cfg.haltStreamConnectTimeoutMs);
    connectTimer.unref();
    try {
      const res = await fetch(url, {
        method: "GET",
        headers: { ...requestHeaders(cfg), Accept: "text/event-stream" },
        signal: attempt.signal,
      });
      clearTimeout(connectTimer);
      if (res.status !== 200 || !res.body) {
        await res.arrayBuffer().catch(() => undefined);
        debug(`answered ${res.status}`);
        const retryable = res.status === 429 || res.status >= 500;
        return { done: !retryable, retryAfterMs: parseRetryAfter(res.headers.get("retry-after")), connected: false };
      }
      debug("subscribed");
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      const parser = new SseParser();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        for (const ev of parser.push(decoder.decode(value, { stream: true }))) {
          if (ev.event === "halt" && ev.data !== "") {
            const reason = haltReason(ev.data);
            debug(`halt: ${reason}`);
            closed = true;
            attempt.abort();
            onHalt(reason);
            return { done: true, connected: true };
          }
        }
      }
      debug("closed by server");
      return { done: false, connected: true };
    } catch (err) {
      if (!closed) debug(`error: ${err instanceof Error ? err.message : String(err)}`);
      return { done: false, connected: false };
    } finally {
      clearTimeout(connectTimer);
      closer.signal.removeEventListener("abort", abortAttempt);
    }
  }

  void (async () => {
    let failures = 0;
    while (!closed) {
      const r = await connectOnce();
      if (closed || r.done) break;
      failures = r.connected ? 0 : failures + 1;
      const backoff = Math.min(RECONNECT_MAX_MS, RECONNECT_BASE_MS * 2 ** Math.min(failures, 16));
      const delay = r.retryAfterMs ?? backoff / 2 + (Math.random() * backoff) / 2;
      await sleep(delay);
    }
  })().catch(() => undefined);

  return {
    close() {
      if (closed) return;
      closed = true;
      closer.abort();
      if (sleepTimer) clearTimeout(sleepTimer);
      wakeSleep?.();
    },
  };
}
