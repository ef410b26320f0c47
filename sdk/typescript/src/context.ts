import { createHash } from "node:crypto";

// `context_sha256`: the identity of one LLM request (the protocol extension of docs/protocol.md).
// SHA-256, as lower-case hex, of the RFC 8785 (JSON Canonicalization Scheme) text of
// {"model", "messages", "tools"}: every input message of the request, system messages and tool
// results included, and the declared tools. Two calls with the same digest sent the model exactly
// the same input, which is how the server tells a loop from a multi-step run that keeps its last
// user message. The Python SDK computes the same digest; both test suites check
// sdk/context_vectors.json.

// Deeper structures are not LLM requests; refusing them keeps a cyclic object from recursing forever.
const MAX_DEPTH = 64;

function canonical(value: unknown, depth: number): string | undefined {
  if (depth > MAX_DEPTH) throw new RangeError(`structure deeper than ${MAX_DEPTH}`);
  if (value !== null && typeof value === "object" && typeof (value as { toJSON?: unknown }).toJSON === "function") {
    value = (value as { toJSON: () => unknown }).toJSON(); // as JSON.stringify does (Dates, client objects)
  }
  switch (typeof value) {
    case "undefined":
    case "function":
    case "symbol":
      return undefined; // skipped in objects, null in arrays: JSON.stringify's rules
    case "number":
      if (!Number.isFinite(value)) throw new RangeError(`RFC 8785 has no representation for ${value}`);
      // ECMAScript's Number.prototype.toString is RFC 8785's number format (-0 prints as 0).
      return JSON.stringify(value);
    case "bigint":
      throw new TypeError("a BigInt is not JSON data");
    case "string":
    case "boolean":
      // JSON.stringify escapes exactly what RFC 8785 escapes: '"', '\\' and control characters
      // (\b \f \n \r \t by name, others as lower-case \u00xx); everything else stays literal.
      return JSON.stringify(value);
  }
  if (value === null) return "null";
  if (Array.isArray(value)) {
    return "[" + value.map((item) => canonical(item, depth + 1) ?? "null").join(",") + "]";
  }
  const record = value as Record<string, unknown>;
  // The default sort compares UTF-16 code units, which is RFC 8785's order of property names.
  const parts: string[] = [];
  for (const key of Object.keys(record).sort()) {
    const text = canonical(record[key], depth + 1);
    if (text !== undefined) parts.push(JSON.stringify(key) + ":" + text);
  }
  return "{" + parts.join(",") + "}";
}

/**
 * The RFC 8785 canonical JSON text of `value`. Throws for what JSON cannot represent (NaN,
 * infinities, BigInt).
 */
export function canonicalJson(value: unknown): string {
  return canonical(value, 0) ?? "null";
}

/**
 * The `context_sha256` of a request: `model`, every input message (system and tool messages
 * included, in order) and the declared `tools` (none: an empty list).
 */
export function contextSha256(model: unknown, messages: unknown, tools?: unknown): string {
  const text = canonicalJson({
    model: model ?? null,
    messages: Array.isArray(messages) ? messages : [],
    tools: Array.isArray(tools) ? tools : [],
  });
  return createHash("sha256").update(text, "utf8").digest("hex");
}
