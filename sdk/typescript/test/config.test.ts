import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { afterEach, test } from "node:test";
import { configure, VigilConfigError } from "../src/index.js";
import { resolveConfig } from "../src/config.js";
import { isoNow } from "../src/ids.js";
import { estimateCostUsd, priceFor } from "../src/pricing.js";
import { SDK_VERSION } from "../src/version.js";

const ENV_KEYS = [
  "VIGIL_API_KEY",
  "VIGIL_BASE_URL",
  "MESEDI_API_KEY",
  "MESEDI_BASE_URL",
  "VIGIL_ALLOW_INSECURE_HTTP",
] as const;
const saved = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));
function clearEnv(): void {
  for (const k of ENV_KEYS) delete process.env[k];
}
afterEach(() => {
  for (const k of ENV_KEYS) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
});

test("plain http:// is refused for any host but localhost, 127.0.0.1 and ::1", () => {
  clearEnv();
  for (const url of ["http://localhost:8080", "http://127.0.0.1:9", "http://[::1]:8080/", "https://vigil.example.com"]) {
    assert.doesNotThrow(() => resolveConfig({ baseUrl: url }), url);
  }
  for (const url of ["http://vigil.example.com", "http://10.0.0.5:8080", "http://127.0.0.2", "http://localhost.example.com"]) {
    assert.throws(() => resolveConfig({ baseUrl: url }), VigilConfigError, url);
    assert.throws(() => configure({ baseUrl: url }), /refusing plain http/, url);
  }
});

test("plain http:// is allowed with allowInsecureHttp or VIGIL_ALLOW_INSECURE_HTTP=1", () => {
  clearEnv();
  assert.equal(resolveConfig({ baseUrl: "http://vigil.lan:8080", allowInsecureHttp: true }).baseUrl, "http://vigil.lan:8080");
  process.env.VIGIL_ALLOW_INSECURE_HTTP = "1";
  assert.equal(resolveConfig({ baseUrl: "http://vigil.lan:8080" }).baseUrl, "http://vigil.lan:8080");
  // An explicit false wins over the environment.
  assert.throws(() => resolveConfig({ baseUrl: "http://vigil.lan:8080", allowInsecureHttp: false }), VigilConfigError);
  process.env.VIGIL_ALLOW_INSECURE_HTTP = "0";
  assert.throws(() => resolveConfig({ baseUrl: "http://vigil.lan:8080" }), VigilConfigError);
});

test("arguments win over VIGIL_* which win over MESEDI_* which win over the defaults", () => {
  clearEnv();
  assert.equal(resolveConfig().apiKey, "vigil_sk_dev_local_only");
  assert.equal(resolveConfig().baseUrl, "http://localhost:8080");
  process.env.MESEDI_API_KEY = "mesedi_sk_m";
  process.env.MESEDI_BASE_URL = "https://mesedi.example.com";
  assert.equal(resolveConfig().apiKey, "mesedi_sk_m");
  assert.equal(resolveConfig().baseUrl, "https://mesedi.example.com");
  process.env.VIGIL_API_KEY = "vigil_sk_v";
  process.env.VIGIL_BASE_URL = "https://vigil.example.com/base/";
  assert.equal(resolveConfig().apiKey, "vigil_sk_v");
  assert.equal(resolveConfig().baseUrl, "https://vigil.example.com/base");
  const c = resolveConfig({ apiKey: "any_prefix_is_fine", baseUrl: "http://127.0.0.1:1234" });
  assert.equal(c.apiKey, "any_prefix_is_fine");
  assert.equal(c.baseUrl, "http://127.0.0.1:1234");
});

test("malformed settings are refused by configure", () => {
  clearEnv();
  assert.throws(() => resolveConfig({ baseUrl: "not a url" }), VigilConfigError);
  assert.throws(() => resolveConfig({ baseUrl: "ftp://localhost" }), VigilConfigError);
  assert.throws(() => resolveConfig({ apiKey: "two words" }), VigilConfigError);
  assert.throws(() => resolveConfig({ apiKey: "clé" }), VigilConfigError);
  assert.throws(() => resolveConfig({ batchSize: 0 }), VigilConfigError);
  assert.throws(() => resolveConfig({ batchSize: 1001 }), VigilConfigError);
  assert.throws(() => resolveConfig({ maxQueueSize: -1 }), VigilConfigError);
  const d = resolveConfig();
  assert.equal(d.batchSize, 100);
  assert.equal(d.flushIntervalMs, 250);
  assert.equal(d.maxQueueSize, 10_000);
});

test("timestamps are ISO 8601 UTC with milliseconds and Z", () => {
  for (const ms of [0, 7, 42, 999, 1_000, 1_715_708_022_123, Date.now()]) {
    assert.equal(isoNow(ms), new Date(ms).toISOString());
  }
  assert.match(isoNow(), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
});

test("the price table matches the protocol's test vectors", () => {
  const key = (m: string) => {
    const p = priceFor(m);
    return p && { inPerMillion: p.inPerMillion, outPerMillion: p.outPerMillion };
  };
  assert.deepEqual(key("claude-haiku-4-5-20251001"), { inPerMillion: 1, outPerMillion: 5 });
  assert.deepEqual(key("GPT-4o-mini-2024-07-18"), { inPerMillion: 0.15, outPerMillion: 0.6 });
  assert.deepEqual(key("gpt-4o-2024-08-06"), { inPerMillion: 2.5, outPerMillion: 10 });
  assert.deepEqual(key("gpt-4-0613"), { inPerMillion: 30, outPerMillion: 60 });
  assert.deepEqual(key("o1-preview"), { inPerMillion: 15, outPerMillion: 60 });
  assert.deepEqual(key("o1-mini-2024"), { inPerMillion: 3, outPerMillion: 12 });
  assert.deepEqual(key("claude-sonnet-4-5"), { inPerMillion: 3, outPerMillion: 15 });
  assert.equal(key("llama-3"), undefined);
  assert.ok(Math.abs(estimateCostUsd("claude-opus-4-6", 1200, 800) - 0.078) < 1e-12);
  assert.ok(Math.abs(estimateCostUsd("gpt-4o-mini", 10000, 2000) - 0.0027) < 1e-12);
  // The provider rates of the cached and reasoning parts (docs/detection.md#cost-velocity).
  assert.equal(priceFor("claude-haiku-4-5")?.cachedFactor, 0.1);
  assert.equal(priceFor("gpt-4o")?.cachedFactor, 0.5);
  assert.equal(priceFor("o1")?.reasoningFactor, 1);
  assert.ok(Math.abs(estimateCostUsd("gpt-4o", 1e6, 0, 4e5) - (0.6 * 2.5 + 0.4 * 1.25)) < 1e-12);
  assert.equal(estimateCostUsd("llama-3", 1000, 1000), 0);
});

test("the cached-input rate is each model's own, Gemini and Cohere included", () => {
  assert.equal(priceFor("gemini-2.5-flash-001")?.cachedFactor, 0.1);
  assert.equal(priceFor("gemini-2.0-flash")?.cachedFactor, 0.25);
  assert.equal(priceFor("gpt-4.1-2025-04-14")?.cachedFactor, 0.25);
  assert.equal(priceFor("command-a-03-2025")?.cachedFactor, 1);
  assert.equal(priceFor("gpt-5.4"), undefined);
  assert.ok(
    Math.abs(estimateCostUsd("gemini-2.5-flash-001", 1e6, 1e6, 4e5, 3e5) - (0.6 * 0.3 + 0.4 * 0.03 + 2.5)) < 1e-12,
  );
  assert.ok(Math.abs(estimateCostUsd("command-a-03-2025", 1e6, 0, 5e5) - 2.5) < 1e-12);
  assert.ok(Math.abs(estimateCostUsd("command-r7b", 2e6, 1e6) - (0.075 + 0.15)) < 1e-12);
});

test("the bare gpt-5 is priced as GPT-5 and no gpt-5.x model takes its price", () => {
  // The "gpt-5" row is exact-only: as a prefix it would also price every gpt-5.x model.
  const rates = (m: string) => {
    const p = priceFor(m);
    return p && [p.inPerMillion, p.outPerMillion, p.cachedFactor];
  };
  assert.deepEqual(rates("gpt-5"), [1.25, 10, 0.1]);
  assert.deepEqual(rates("GPT-5"), [1.25, 10, 0.1]);
  assert.deepEqual(rates("gpt-5-2025-08-07"), [1.25, 10, 0.1]);
  assert.deepEqual(rates("gpt-5-codex"), [1.25, 10, 0.1]);
  assert.deepEqual(rates("gpt-5-mini-2025-08-07"), [0.25, 2, 0.1]);
  assert.deepEqual(rates("gpt-5-nano"), [0.05, 0.4, 0.1]);
  assert.deepEqual(rates("gpt-5-pro"), [15, 120, 1]);
  for (const m of ["gpt-5.1", "gpt-5.4", "gpt-5.4-mini", "gpt-50"]) assert.equal(priceFor(m), undefined, m);
  assert.ok(Math.abs(estimateCostUsd("gpt-5", 1e6, 1e6, 8e5, 6e5) - (0.2 * 1.25 + 0.8 * 0.125 + 10)) < 1e-12);
  assert.equal(estimateCostUsd("gpt-5", 12345, 678), (12345 / 1e6) * 1.25 + (678 / 1e6) * 10);
  assert.equal(estimateCostUsd("gpt-5.4", 1e6, 1e6), 0);
});

test("SDK_VERSION is package.json's version", () => {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
  assert.equal(SDK_VERSION, pkg.version);
  assert.equal(pkg.name, "vigil-sdk");
  assert.equal(pkg.dependencies, undefined, "no runtime dependency");
});
