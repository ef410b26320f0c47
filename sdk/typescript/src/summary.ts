// Turning arbitrary user values into bounded, JSON-safe data. Everything recorded from user code
// (tool arguments, results, checkpoint metadata) goes through here at record time, so a later
// mutation by the agent cannot change what is sent and no value can make serialisation throw.

// The server rejects an event whose payload exceeds 256 KiB. A UTF-16 unit takes at most 3 bytes
// of UTF-8 (6 when JSON-escaped, for control characters, which are rare in text), so these bounds
// keep any payload the SDK builds well inside that limit.
export const MAX_STRING_CHARS = 1000;
export const MAX_TEXT_CHARS = 16 * 1024; // prompt, user message and response: three of them
const MAX_DEPTH = 6;
const MAX_ITEMS = 100;
const MAX_NODES = 1000; // values in one converted structure
const MAX_TOTAL_CHARS = 16 * 1024; // string characters in one converted structure

interface Allowance {
  nodes: number;
  chars: number;
}

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Cuts a string to `max` characters, marking the cut. */
export function truncate(s: string, max: number = MAX_STRING_CHARS): string {
  return s.length <= max ? s : s.slice(0, max) + "…[truncated]";
}

/** A JSON-safe copy of `value`: bounded depth, items and string length; never throws. */
export function toJsonSafe(value: unknown, maxString: number = MAX_STRING_CHARS): Json {
  // Scalars are the common case (and the cheap one): no cycle tracking needed.
  if (typeof value !== "object" || value === null) {
    return convert(value, 0, undefined as unknown as WeakSet<object>, maxString, { nodes: 1, chars: MAX_TOTAL_CHARS });
  }
  try {
    return convert(value, 0, new WeakSet(), maxString, { nodes: MAX_NODES, chars: MAX_TOTAL_CHARS });
  } catch {
    return "[unserializable]";
  }
}

function convert(v: unknown, depth: number, seen: WeakSet<object>, maxString: number, left: Allowance): Json {
  if (left.nodes-- <= 0) return "…[truncated]";
  switch (typeof v) {
    case "string": {
      const s = truncate(v, Math.min(maxString, Math.max(0, left.chars)));
      left.chars -= Math.min(v.length, maxString);
      return s;
    }
    case "number":
      return Number.isFinite(v) ? v : String(v);
    case "boolean":
      return v;
    case "bigint":
      return v.toString();
    case "undefined":
      return null;
    case "symbol":
      return v.toString();
    case "function":
      return `[Function ${v.name || "anonymous"}]`;
  }
  if (v === null) return null;
  const obj = v as object;
  if (seen.has(obj)) return "[Circular]";
  if (depth >= MAX_DEPTH) return Array.isArray(obj) ? "[Array]" : "[Object]";
  if (obj instanceof Date) return Number.isNaN(obj.getTime()) ? "Invalid Date" : obj.toISOString();
  if (obj instanceof Error) return { name: obj.name, message: truncate(String(obj.message), maxString) };
  if (ArrayBuffer.isView(obj)) return `[${obj.constructor.name} ${obj.byteLength} bytes]`;
  if (obj instanceof ArrayBuffer) return `[ArrayBuffer ${obj.byteLength} bytes]`;
  seen.add(obj);
  try {
    if (Array.isArray(obj) || obj instanceof Set) {
      const out: Json[] = [];
      let n = 0;
      for (const item of obj as Iterable<unknown>) {
        if (n++ >= MAX_ITEMS || left.nodes <= 0) {
          out.push("…[truncated]");
          break;
        }
        out.push(convert(item, depth + 1, seen, maxString, left));
      }
      return out;
    }
    const entries: Iterable<[unknown, unknown]> =
      obj instanceof Map ? obj.entries() : Object.entries(obj as Record<string, unknown>);
    const out: { [key: string]: Json } = {};
    let n = 0;
    for (const [k, item] of entries) {
      if (n++ >= MAX_ITEMS || left.nodes <= 0) {
        out["…"] = "[truncated]";
        break;
      }
      if (typeof item === "function" && !(obj instanceof Map)) continue; // methods are noise
      out[String(k)] = convert(item, depth + 1, seen, maxString, left);
    }
    return out;
  } finally {
    seen.delete(obj);
  }
}

/** A one-line summary of a value (strings as they are, others as JSON), at most `max` characters. */
export function summarize(value: unknown, max: number = MAX_STRING_CHARS): string {
  if (typeof value === "string") return truncate(value, max);
  try {
    const s = JSON.stringify(toJsonSafe(value));
    return truncate(s === undefined ? "null" : s, max);
  } catch {
    return "[unserializable]";
  }
}

// A tool's result as sent in `result_text`: long enough for a detector to read a whole retrieved
// document, short enough to leave most of an event's 256 KiB to the rest of the payload.
export const MAX_RESULT_TEXT_BYTES = 16 * 1024;

/** `text` cut to at most `maxBytes` bytes of UTF-8, at a character boundary. */
export function cutUtf8(text: string, maxBytes: number): string {
  if (text.length * 3 <= maxBytes || Buffer.byteLength(text, "utf8") <= maxBytes) return text;
  const bytes = Buffer.from(text, "utf8");
  let end = maxBytes;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--; // back off a continuation byte
  return bytes.subarray(0, end).toString("utf8");
}

// An execution's `name`: the server refuses longer ones and control characters.
export const MAX_NAME_BYTES = 200;

/**
 * `name` as the execution's wire `name`: control characters dropped, cut to 200 bytes of UTF-8 at
 * a character boundary, trimmed; undefined when nothing is left or it is not a string.
 */
export function executionName(name: unknown): string | undefined {
  if (typeof name !== "string") return undefined;
  const clean = cutUtf8(name.replace(/[\u0000-\u001f\u007f]/g, ""), MAX_NAME_BYTES).trim();
  return clean === "" ? undefined : clean;
}

/** The text of a tool's result: a string as it is, anything else as bounded JSON; <= 16 KiB. */
export function resultText(value: unknown): string {
  if (typeof value === "string") return cutUtf8(value, MAX_RESULT_TEXT_BYTES);
  try {
    const s = JSON.stringify(toJsonSafe(value, MAX_RESULT_TEXT_BYTES));
    return cutUtf8(s === undefined ? "null" : s, MAX_RESULT_TEXT_BYTES);
  } catch {
    return "[unserializable]";
  }
}

/** The type name of a thrown value: its class name, else its `name`, else its JS type. */
export function errorTypeName(err: unknown): string {
  if (err !== null && typeof err === "object") {
    const ctor = (err as { constructor?: { name?: unknown } }).constructor;
    const ctorName = ctor && typeof ctor.name === "string" ? ctor.name : "";
    if (ctorName && ctorName !== "Object" && ctorName !== "Error") return ctorName;
    const name = (err as { name?: unknown }).name;
    if (typeof name === "string" && name) return name;
    return ctorName || "Object";
  }
  return typeof err;
}

/** The message of a thrown value, bounded. */
export function errorMessage(err: unknown): string {
  if (err !== null && typeof err === "object" && "message" in err) {
    return truncate(String((err as { message: unknown }).message));
  }
  try {
    return truncate(String(err));
  } catch {
    return "";
  }
}
