/** Limits of one execution. Every field is optional; an absent field is no limit. */
export interface BudgetOptions {
  /** Wall-clock time from the start of the wrapped call, in seconds. */
  maxWallClockSeconds?: number;
  /** Number of `llm_call` events. */
  maxSteps?: number;
  /** Sum of input tokens over `llm_call` events. */
  maxTokensIn?: number;
  /** Sum of output tokens over `llm_call` events. */
  maxTokensOut?: number;
  /** Estimated cost in USD (from the protocol's price table, or `costUsd` given to `emitLlmCall`). */
  maxCostUsd?: number;
}

/**
 * Per-execution budget. Exceeding a limit halts the agent locally with a `VigilHalt` (trigger
 * `wall_clock`, `step_count`, `token_total` or `cost`). The budget is also sent to the server as the
 * execution's `budget` so its detectors use the same limits.
 */
export class Budget implements BudgetOptions {
  readonly maxWallClockSeconds?: number;
  readonly maxSteps?: number;
  readonly maxTokensIn?: number;
  readonly maxTokensOut?: number;
  readonly maxCostUsd?: number;

  constructor(options: BudgetOptions = {}) {
    for (const key of ["maxWallClockSeconds", "maxSteps", "maxTokensIn", "maxTokensOut", "maxCostUsd"] as const) {
      const v = options[key];
      if (v === undefined || v === null) continue;
      if (typeof v !== "number" || !Number.isFinite(v) || v < 0) {
        throw new TypeError(`Budget.${key} must be a finite number >= 0, got ${String(v)}`);
      }
      (this as unknown as Record<string, number>)[key] = v;
    }
    Object.freeze(this);
  }

  /** The execution `budget` object of the wire protocol (docs/detection.md#per-execution-budgets, docs/protocol.md#what-vigils-sdks-send); undefined if it has no server-side limit. */
  toWire(): { max_duration_ms?: number; max_llm_calls?: number; max_cost_usd?: number } | undefined {
    const out: { max_duration_ms?: number; max_llm_calls?: number; max_cost_usd?: number } = {};
    if (this.maxWallClockSeconds !== undefined) out.max_duration_ms = Math.round(this.maxWallClockSeconds * 1000);
    if (this.maxSteps !== undefined) out.max_llm_calls = Math.floor(this.maxSteps);
    if (this.maxCostUsd !== undefined) out.max_cost_usd = this.maxCostUsd;
    return Object.keys(out).length ? out : undefined;
  }
}
