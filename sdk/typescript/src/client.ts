import { resolveConfig, type ConfigureOptions, type ResolvedConfig } from "./config.js";
import { Shipper, type ShipperStats } from "./shipper.js";

// One process-wide shipper. `configure` may be called again (tests do): the queue is kept and sent
// to the newly configured server.
let shipper: Shipper | undefined;

/**
 * Configures the SDK from `options`, then the environment (VIGIL_API_KEY, VIGIL_BASE_URL, then
 * MESEDI_API_KEY, MESEDI_BASE_URL), then defaults. Optional: the first SDK call configures from the
 * environment. Throws VigilConfigError for a malformed URL or a refused plain-http URL — the one
 * place the SDK throws on purpose, at start-up, where a mistake should be loud.
 */
export function configure(options: ConfigureOptions = {}): void {
  const cfg = resolveConfig(options);
  if (shipper) shipper.reconfigure(cfg);
  else shipper = new Shipper(cfg);
}

/** The shipper, configured from the environment on first use (never throws). */
export function getShipper(): Shipper {
  if (!shipper) {
    let cfg: ResolvedConfig;
    try {
      cfg = resolveConfig({});
    } catch (err) {
      try {
        console.warn(`[vigil] telemetry disabled: ${err instanceof Error ? err.message : String(err)}`);
      } catch {
        // ignore
      }
      cfg = { ...resolveConfig({ baseUrl: "http://localhost:8080" }), enabled: false };
    }
    shipper = new Shipper(cfg);
  }
  return shipper;
}

/**
 * Sends everything queued so far. Resolves true when it all reached the server (or was given up
 * under the retry rules), false if `timeoutMs` passed first. Never rejects. Call it before
 * `process.exit()`; a process that ends by itself is flushed automatically on `beforeExit`.
 */
export function flush(timeoutMs = 10_000): Promise<boolean> {
  try {
    return getShipper().flush(timeoutMs);
  } catch {
    return Promise.resolve(false);
  }
}

/** Shipper counters: queued, in flight, sent, dropped (queue full), rejected (4xx), failed, retries. */
export function stats(): ShipperStats {
  return getShipper().stats();
}
