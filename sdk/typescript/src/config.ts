import { SDK_VERSION } from "./version.js";

/** Options of `configure`. Every field is optional; see the README for the defaults. */
export interface ConfigureOptions {
  /** API key; else `VIGIL_API_KEY`, else `MESEDI_API_KEY`, else the dev key `vigil_sk_dev_local_only`. */
  apiKey?: string;
  /** Server URL; else `VIGIL_BASE_URL`, else `MESEDI_BASE_URL`, else `http://localhost:8080`. */
  baseUrl?: string;
  /** Allow plain `http://` to a host other than localhost (else `VIGIL_ALLOW_INSECURE_HTTP=1`). */
  allowInsecureHttp?: boolean;
  /** `false` sends nothing (budgets still apply locally). Default true. */
  enabled?: boolean;
  /** Most events per `POST /events`. Default 100 (1–1000). */
  batchSize?: number;
  /** Longest time an item waits before it is sent, ms. Default 250. */
  flushIntervalMs?: number;
  /** Items held before the oldest are dropped. Default 10 000. */
  maxQueueSize?: number;
  /** Per-request timeout, ms. Default 10 000. */
  requestTimeoutMs?: number;
  /** First retry delay, ms; doubles per attempt, with jitter. Default 250. */
  retryBaseDelayMs?: number;
  /** Longest delay between retries, ms (also caps `Retry-After`). Default 30 000. */
  maxRetryDelayMs?: number;
  /** Attempts at a request answered 500/502/504… before its items are dropped. Default 8. */
  maxServerErrorAttempts?: number;
  /** How long the exit flush (on `beforeExit`) may take, ms. Default 5 000. */
  exitFlushTimeoutMs?: number;
  /** Halt-stream connect timeout, ms. Default 5 000. */
  haltStreamConnectTimeoutMs?: number;
  /** Log every request outcome with console.debug. Default false. */
  debug?: boolean;
  /** The agent's code version sent on every execution, e.g. a git commit; else `VIGIL_CODE_VERSION`. */
  codeVersion?: string;
  /** The agent's image digest sent on every execution (`sha256:…`); else `VIGIL_CONTAINER_DIGEST`. */
  containerDigest?: string;
}

export interface ResolvedConfig {
  apiKey: string;
  baseUrl: string;
  enabled: boolean;
  batchSize: number;
  flushIntervalMs: number;
  maxQueueSize: number;
  requestTimeoutMs: number;
  retryBaseDelayMs: number;
  maxRetryDelayMs: number;
  maxServerErrorAttempts: number;
  exitFlushTimeoutMs: number;
  haltStreamConnectTimeoutMs: number;
  debug: boolean;
  codeVersion: string | undefined;
  containerDigest: string | undefined;
}

export const DEFAULT_BASE_URL = "http://localhost:8080";
export const DEFAULT_DEV_KEY = "vigil_sk_dev_local_only";

/** Raised by `configure` for an unusable configuration (bad URL, refused plain http). */
export class VigilConfigError extends Error {
  override readonly name = "VigilConfigError";
}

const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);

function env(name: string): string | undefined {
  const v = process.env[name];
  return v === undefined || v === "" ? undefined : v;
}

function truthy(v: string | undefined): boolean {
  return v !== undefined && /^(1|true|yes|on)$/i.test(v.trim());
}

// The build identity as the server accepts it (docs/protocol.md#build-identity); anything else would
// be refused with 400 and cost every execution, so configure refuses it instead.
const CODE_VERSION = /^[A-Za-z0-9._+:/@-]{1,128}$/;
const CONTAINER_DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[A-Za-z0-9=_-]+$/;

function identityOption(name: string, v: string | undefined, pattern: RegExp, maxBytes: number): string | undefined {
  if (v === undefined || v === "") return undefined;
  if (typeof v !== "string" || v.length > maxBytes || !pattern.test(v)) {
    throw new VigilConfigError(`${name} is not a valid build identity: ${String(v)}`);
  }
  return v;
}

function intOption(name: string, v: number | undefined, def: number, min: number, max: number): number {
  if (v === undefined || v === null) return def;
  if (typeof v !== "number" || !Number.isFinite(v) || v < min || v > max) {
    throw new VigilConfigError(`${name} must be a number in [${min}, ${max}], got ${String(v)}`);
  }
  return Math.floor(v);
}

/**
 * Resolves options against the environment and defaults. Throws VigilConfigError for a malformed
 * URL or for plain `http://` to a non-local host without `allowInsecureHttp` (docs/protocol.md#what-vigils-sdks-send): an API key
 * must not cross a network in clear text by accident.
 */
export function resolveConfig(options: ConfigureOptions = {}): ResolvedConfig {
  const apiKey = options.apiKey || env("VIGIL_API_KEY") || env("MESEDI_API_KEY") || DEFAULT_DEV_KEY;
  const rawUrl = options.baseUrl || env("VIGIL_BASE_URL") || env("MESEDI_BASE_URL") || DEFAULT_BASE_URL;
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw new VigilConfigError(`invalid Vigil base URL: ${rawUrl}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new VigilConfigError(`Vigil base URL must be http:// or https://, got ${rawUrl}`);
  }
  const allowInsecure = options.allowInsecureHttp ?? truthy(env("VIGIL_ALLOW_INSECURE_HTTP"));
  if (url.protocol === "http:" && !LOCAL_HOSTS.has(url.hostname) && !allowInsecure) {
    throw new VigilConfigError(
      `refusing plain http:// to ${url.hostname}: the API key would travel unencrypted. ` +
        "Use https://, or pass allowInsecureHttp: true (or set VIGIL_ALLOW_INSECURE_HTTP=1) if you accept that.",
    );
  }
  // A key that cannot be sent as a header would fail every request forever: refuse it now.
  if (!/^[\x21-\x7e]+$/.test(apiKey.trim())) {
    throw new VigilConfigError("API key must be printable ASCII without spaces");
  }
  return {
    apiKey: apiKey.trim(),
    baseUrl: (url.origin + url.pathname).replace(/\/+$/, ""),
    enabled: options.enabled ?? true,
    batchSize: intOption("batchSize", options.batchSize, 100, 1, 1000),
    flushIntervalMs: intOption("flushIntervalMs", options.flushIntervalMs, 250, 1, 60_000),
    maxQueueSize: intOption("maxQueueSize", options.maxQueueSize, 10_000, 1, 10_000_000),
    requestTimeoutMs: intOption("requestTimeoutMs", options.requestTimeoutMs, 10_000, 1, 600_000),
    retryBaseDelayMs: intOption("retryBaseDelayMs", options.retryBaseDelayMs, 250, 1, 600_000),
    maxRetryDelayMs: intOption("maxRetryDelayMs", options.maxRetryDelayMs, 30_000, 1, 3_600_000),
    maxServerErrorAttempts: intOption("maxServerErrorAttempts", options.maxServerErrorAttempts, 8, 1, 1000),
    exitFlushTimeoutMs: intOption("exitFlushTimeoutMs", options.exitFlushTimeoutMs, 5_000, 0, 600_000),
    haltStreamConnectTimeoutMs: intOption(
      "haltStreamConnectTimeoutMs",
      options.haltStreamConnectTimeoutMs,
      5_000,
      1,
      600_000,
    ),
    debug: options.debug ?? truthy(env("VIGIL_DEBUG")),
    codeVersion: identityOption("codeVersion", options.codeVersion || env("VIGIL_CODE_VERSION"), CODE_VERSION, 128),
    containerDigest: identityOption(
      "containerDigest",
      options.containerDigest || env("VIGIL_CONTAINER_DIGEST"),
      CONTAINER_DIGEST,
      200,
    ),
  };
}

/** Request headers every Vigil call carries, the halt stream included (docs/protocol.md#what-mesedi-sdks-send). */
export function requestHeaders(cfg: ResolvedConfig): Record<string, string> {
  return {
    Authorization: `Bearer ${cfg.apiKey}`,
    "Content-Type": "application/json",
    "X-Mesedi-Schema-Version": "1",
    "User-Agent": `vigil-sdk-typescript/${SDK_VERSION} node/${process.versions.node}`,
  };
}
