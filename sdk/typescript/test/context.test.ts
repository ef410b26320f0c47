import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { canonicalJson, contextSha256 } from "../src/index.js";
import { cutUtf8, resultText } from "../src/summary.js";

// The vectors both SDKs check (sdk/context_vectors.json): the same inputs give the same digest in
// Python and TypeScript, and RFC 8785's own examples hold.
const VECTORS = JSON.parse(
  readFileSync(fileURLToPath(new URL("../../../context_vectors.json", import.meta.url)), "utf8"),
);

test("numbers print as RFC 8785 (appendix B) prints them", () => {
  assert.ok(VECTORS.numbers.length >= 20);
  for (const v of VECTORS.numbers) {
    const value = Buffer.from(v.ieee754, "hex").readDoubleBE(0);
    assert.equal(canonicalJson(value), v.canonical, v.ieee754);
  }
});

test("canonical JSON sorts keys by UTF-16 code units and escapes as RFC 8785 does", () => {
  for (const v of VECTORS.canonical_json) assert.equal(canonicalJson(JSON.parse(v.json)), v.canonical, v.name);
});

test("context_sha256 of the shared requests equals the Python SDK's", () => {
  assert.ok(VECTORS.context_sha256.length >= 3);
  for (const v of VECTORS.context_sha256) {
    assert.equal(canonicalJson({ model: v.model, messages: v.messages, tools: v.tools }), v.canonical, v.name);
    assert.equal(contextSha256(v.model, v.messages, v.tools), v.sha256, v.name);
  }
});

test("canonical JSON follows JSON.stringify for what is not JSON data, and refuses what it cannot write", () => {
  assert.equal(
    canonicalJson({ b: undefined, a: [undefined, () => 1], d: new Date(0) }),
    '{"a":[null,null],"d":"1970-01-01T00:00:00.000Z"}',
  );
  assert.throws(() => canonicalJson({ x: Number.NaN }), RangeError);
  assert.throws(() => canonicalJson({ x: 1n }), TypeError);
  assert.equal(contextSha256("m", undefined), contextSha256("m", [], []));
});

test("result_text keeps a string whole up to 16 KiB and cuts at a UTF-8 boundary", () => {
  assert.equal(resultText("short"), "short");
  assert.equal(resultText({ hits: [1, 2] }), '{"hits":[1,2]}');
  const long = "é".repeat(10_000); // 20,000 bytes
  const cut = resultText(long);
  assert.equal(Buffer.byteLength(cut, "utf8"), 16 * 1024);
  assert.equal(cutUtf8("aé", 2), "a"); // never half a character
  assert.equal(cutUtf8("😀x", 3), "");
});
