import { randomFillSync } from "node:crypto";

// Ids are drawn from a pooled CSPRNG buffer: one randomFillSync per 682 ids keeps the cost of an id
// well under a microsecond, which matters because every wrapped call mints at least one.
const POOL_BYTES = 4096;
const ID_BYTES = 6; // 12 hex characters, as the protocol's `exec-`/`evt-` ids.
const pool = Buffer.allocUnsafe(POOL_BYTES);
let poolOffset = POOL_BYTES;

function randomHex(bytes: number): string {
  if (poolOffset + bytes > POOL_BYTES) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const hex = pool.toString("hex", poolOffset, poolOffset + bytes);
  poolOffset += bytes;
  return hex;
}

/** `exec-` + 12 lowercase hex characters. */
export function newExecutionId(): string {
  return "exec-" + randomHex(ID_BYTES);
}

/** `evt-` + 12 lowercase hex characters. */
export function newEventId(): string {
  return "evt-" + randomHex(ID_BYTES);
}

// Date#toISOString costs close to a microsecond; the part up to the second changes once a second.
let cachedSecond = Number.NaN;
let cachedPrefix = "";

/** UTC timestamp with milliseconds and `Z`, e.g. `2026-05-14T17:33:42.123Z`. */
export function isoNow(ms: number = Date.now()): string {
  const t = Math.floor(ms);
  const second = Math.floor(t / 1000);
  if (second !== cachedSecond) {
    const iso = new Date(second * 1000).toISOString();
    if (iso.length !== 24) return new Date(t).toISOString(); // years outside 0000–9999
    cachedSecond = second;
    cachedPrefix = iso.slice(0, 20); // "YYYY-MM-DDTHH:MM:SS."
  }
  const millis = t - second * 1000;
  return cachedPrefix + (millis < 10 ? "00" : millis < 100 ? "0" : "") + millis + "Z";
}
