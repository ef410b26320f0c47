import { AsyncLocalStorage } from "node:async_hooks";
import type { Budget } from "./budget.js";
import { exceptionPayload } from "./cause.js";
import { getShipper } from "./client.js";
import { openHaltStream, type HaltStreamHandle } from "./halt_stream.js";
import { VigilHalt } from "./halt.js";
import { isoNow, newEventId, newExecutionId } from "./ids.js";
import { crashSignature } from "./signature.js";
import { cutUtf8 } from "./summary.js";
import { SDK_LANGUAGE, SDK_VERSION } from "./version.js";

// An execution's `halt_reason` (the server refuses longer ones).
const MAX_REASON_BYTES = 1024;

/** The execution the current async context belongs to (innermost `wrap`). */
export const executionStorage = new AsyncLocalStorage<Execution>();

/** Usage counted against budgets: the execution's own calls plus those of nested executions. */
interface Usage {
  llmCalls: number;
  tokensIn: number;
  tokensOut: number;
  costUsd: number;
}

/** One wrapped call: its identity, counters, budget and halt state. */
export class Execution {
  readonly id: string;
  readonly parent: Execution | undefined;
  readonly name: string;
  readonly budget: Budget | undefined;
  readonly startPerf: number;
  /** Own totals, reported in the end PATCH. */
  tokensIn = 0;
  tokensOut = 0;
  costUsd = 0;
  /** Own plus descendants, checked against the budget. */
  readonly usage: Usage = { llmCalls: 0, tokensIn: 0, tokensOut: 0, costUsd: 0 };
  /** A halt decided for this execution (budget, wall-clock timer, remote request). */
  halt: VigilHalt | undefined;
  /** True once a VigilHalt was thrown inside this execution (even if the agent caught it). */
  haltRaised = false;
  ended = false;
  /** Finishers of streamed LLM calls still open: a stream left unfinished is recorded at the end. */
  readonly openStreams = new Set<() => void>();
  /** An error already sent as this execution's `exception` event (see `recordCause`). */
  cause: unknown = undefined;
  private sequence = 0;
  private controller: AbortController | undefined;
  private unlinkParent: (() => void) | undefined;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private stream: HaltStreamHandle | undefined;

  constructor(parent: Execution | undefined, name: string, budget: Budget | undefined) {
    this.id = newExecutionId();
    this.parent = parent;
    this.name = name;
    this.budget = budget;
    this.startPerf = performance.now();
    const seconds = budget?.maxWallClockSeconds;
    if (seconds !== undefined) {
      // The call points check the clock themselves; this timer only fires the AbortSignal on time.
      this.deadlineTimer = setTimeout(() => {
        this.requestHalt(this.wallClockHalt(seconds));
      }, Math.min(seconds * 1000 + 1, 2 ** 31 - 1));
      this.deadlineTimer.unref();
    }
  }

  nextSequence(): number {
    return ++this.sequence;
  }

  /** Aborted (with the VigilHalt as reason) when this execution or an enclosing one is halted. */
  get signal(): AbortSignal {
    if (!this.controller) {
      const controller = new AbortController();
      this.controller = controller;
      if (this.halt) controller.abort(this.halt);
      else if (this.parent && !this.parent.ended) {
        const parentSignal = this.parent.signal;
        if (parentSignal.aborted) controller.abort(parentSignal.reason);
        else {
          const onAbort = () => controller.abort(parentSignal.reason);
          parentSignal.addEventListener("abort", onAbort, { once: true });
          this.unlinkParent = () => parentSignal.removeEventListener("abort", onAbort);
        }
      }
    }
    return this.controller.signal;
  }

  /** The halt that aborted this execution's signal, once the signal was handed out and fired. */
  get signalHalt(): VigilHalt | undefined {
    const s = this.controller?.signal;
    return s?.aborted && s.reason instanceof VigilHalt ? s.reason : undefined;
  }

  /** Records a halt (first one wins) and fires the signal. Thrown at the next call point. */
  requestHalt(halt: VigilHalt): void {
    if (this.ended || this.halt) return;
    this.halt = halt;
    if (this.controller && !this.controller.signal.aborted) this.controller.abort(halt);
  }

  private wallClockHalt(limitSeconds: number): VigilHalt {
    const elapsed = (performance.now() - this.startPerf) / 1000;
    return new VigilHalt(
      "wall_clock",
      `wall-clock budget exceeded: ${elapsed.toFixed(3)} s > ${limitSeconds} s`,
      this.id,
    );
  }

  /** The halt this execution's own budget calls for now, if any. */
  evaluateBudget(beforeLlmCall: boolean): VigilHalt | undefined {
    const b = this.budget;
    if (!b) return undefined;
    const u = this.usage;
    if (b.maxWallClockSeconds !== undefined && performance.now() - this.startPerf > b.maxWallClockSeconds * 1000) {
      return this.wallClockHalt(b.maxWallClockSeconds);
    }
    if (b.maxSteps !== undefined) {
      if (u.llmCalls > b.maxSteps) {
        return new VigilHalt("step_count", `step budget exceeded: ${u.llmCalls} llm calls > ${b.maxSteps}`, this.id);
      }
      if (beforeLlmCall && u.llmCalls >= b.maxSteps) {
        return new VigilHalt(
          "step_count",
          `step budget exhausted: ${u.llmCalls} llm calls made, limit ${b.maxSteps}`,
          this.id,
        );
      }
    }
    if (b.maxTokensIn !== undefined && u.tokensIn > b.maxTokensIn) {
      return new VigilHalt("token_total", `input-token budget exceeded: ${u.tokensIn} > ${b.maxTokensIn}`, this.id);
    }
    if (b.maxTokensOut !== undefined && u.tokensOut > b.maxTokensOut) {
      return new VigilHalt("token_total", `output-token budget exceeded: ${u.tokensOut} > ${b.maxTokensOut}`, this.id);
    }
    if (b.maxCostUsd !== undefined && u.costUsd > b.maxCostUsd) {
      return new VigilHalt("cost", `cost budget exceeded: $${u.costUsd.toFixed(6)} > $${b.maxCostUsd}`, this.id);
    }
    return undefined;
  }

  /** Opens the remote halt stream (only for executions with a budget or `remoteHalt`). */
  openStream(): void {
    if (this.stream || this.ended) return;
    try {
      const cfg = getShipper().config;
      if (!cfg.enabled) return;
      this.stream = openHaltStream(cfg, this.id, (reason) => {
        this.requestHalt(new VigilHalt("remote_signal", reason, this.id));
      });
    } catch {
      // remote halt is best effort
    }
  }

  /** Releases timers, the halt stream and the parent-signal link. */
  dispose(): void {
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    this.stream?.close();
    this.unlinkParent?.();
    this.deadlineTimer = undefined;
    this.stream = undefined;
    this.unlinkParent = undefined;
  }
}

/** The innermost execution of the current async context, if it is still running. */
export function currentExecution(): Execution | undefined {
  const e = executionStorage.getStore();
  return e && !e.ended ? e : undefined;
}

/**
 * The halt due for `exec` or any running execution enclosing it, if any; records it so the signal
 * fires. `beforeLlmCall` also halts when one more llm call would exceed a step budget.
 */
export function dueHalt(exec: Execution, beforeLlmCall = false): VigilHalt | undefined {
  for (let e: Execution | undefined = exec; e; e = e.parent) {
    if (e.ended) continue;
    const h = e.halt ?? e.evaluateBudget(beforeLlmCall);
    if (h) {
      e.requestHalt(h);
      return e.halt ?? h;
    }
  }
  return undefined;
}

/** A call point: throws the due VigilHalt, if any, marking the executions it passes through. */
export function raiseIfHalted(exec: Execution, beforeLlmCall = false): void {
  const h = dueHalt(exec, beforeLlmCall);
  if (!h) return;
  for (let e: Execution | undefined = exec; e; e = e.parent) {
    e.haltRaised = true;
    e.requestHalt(h);
    if (e.id === h.executionId) break;
  }
  throw h;
}

/** Queues one event of `exec`. Never throws. */
export function recordEvent(
  exec: Execution,
  eventType: string,
  payload: Record<string, unknown>,
  durationMs?: number,
): void {
  try {
    const body: Record<string, unknown> = {
      event_id: newEventId(),
      execution_id: exec.id,
      event_type: eventType,
      sequence: exec.nextSequence(),
      timestamp: isoNow(),
    };
    if (durationMs !== undefined) body.duration_ms = durationMs;
    body.payload = payload;
    getShipper().enqueue({ kind: "event", executionId: exec.id, body });
  } catch {
    // telemetry must never break the agent
  }
}

/** Adds an llm call's usage to `exec` (own totals) and to it and its ancestors (budget usage). */
export function addUsage(exec: Execution, tokensIn: number, tokensOut: number, costUsd: number): void {
  exec.tokensIn += tokensIn;
  exec.tokensOut += tokensOut;
  exec.costUsd += costUsd;
  for (let e: Execution | undefined = exec; e; e = e.parent) {
    e.usage.llmCalls++;
    e.usage.tokensIn += tokensIn;
    e.usage.tokensOut += tokensOut;
    e.usage.costUsd += costUsd;
  }
}

/**
 * Starts an execution: a nested start is a call point of its parent; the create is queued. Throws
 * only a VigilHalt (of an enclosing execution). `wireName` is sent as the execution's `name`.
 */
export function startExecution(name: string, budget: Budget | undefined, wireName?: string): Execution {
  const parent = currentExecution();
  if (parent) raiseIfHalted(parent);
  const exec = new Execution(parent, name, budget);
  try {
    const body: Record<string, unknown> = { execution_id: exec.id };
    if (parent) body.parent_execution_id = parent.id;
    if (wireName) body.name = wireName;
    body.status = "started";
    body.started_at = isoNow();
    body.sdk_language = SDK_LANGUAGE;
    body.sdk_version = SDK_VERSION;
    const wireBudget = budget?.toWire();
    if (wireBudget) body.budget = wireBudget;
    const shipper = getShipper();
    if (shipper.config.codeVersion) body.code_version = shipper.config.codeVersion;
    if (shipper.config.containerDigest) body.container_digest = shipper.config.containerDigest;
    shipper.enqueue({ kind: "create", executionId: exec.id, body });
  } catch {
    // telemetry must never break the agent
  }
  return exec;
}

/**
 * Sends `error` as the execution's `exception` event now (a framework integration saw it end a
 * run); if the execution later crashes with this same error it is not sent twice.
 */
export function recordCause(exec: Execution, error: unknown): void {
  if (exec.ended || error === undefined || error === exec.cause) return;
  try {
    exec.cause = error;
    recordEvent(exec, "exception", exceptionPayload(error));
  } catch {
    // telemetry must never break the agent
  }
}

/**
 * The halt behind an error the agent threw: the VigilHalt itself, or the abort error a client
 * raised because the halt aborted the signal it was given (`currentSignal()`): one that names the
 * halt as its cause, or whose name or class says abort while this execution's signal is halted.
 */
function haltBehind(exec: Execution, error: unknown): VigilHalt | undefined {
  if (error instanceof VigilHalt) return error;
  if (error === null || typeof error !== "object") return undefined;
  const e = error as { cause?: unknown; name?: unknown; constructor?: { name?: unknown } };
  if (e.cause instanceof VigilHalt) return e.cause;
  const halt = exec.signalHalt;
  const abort = [e.name, e.constructor?.name].some((n) => typeof n === "string" && /abort/i.test(n));
  return halt && abort ? halt : undefined;
}

/** Ends an execution: queues the end PATCH with status, duration, totals and crash signature. */
export function endExecution(exec: Execution, error: unknown, threw: boolean): void {
  if (exec.ended) return;
  for (const finish of [...exec.openStreams]) finish(); // before the totals, which count them
  exec.ended = true;
  try {
    exec.dispose();
    let status = "completed";
    let signature: string | undefined;
    let haltReason: string | undefined;
    const halt = threw ? haltBehind(exec, error) : undefined;
    if (threw) {
      if (halt) {
        status = "halted";
        signature = `halt:${halt.trigger}`;
        haltReason = halt.reason;
      } else {
        status = "crashed";
        signature = crashSignature(error);
        // The cause goes first, so the server holds it when the crash is detected.
        if (error !== exec.cause || error === undefined) recordEvent(exec, "exception", exceptionPayload(error));
      }
    } else if (exec.haltRaised && exec.halt) {
      // The agent caught the VigilHalt and returned: it still stopped because of the halt.
      status = "halted";
      signature = `halt:${exec.halt.trigger}`;
      haltReason = exec.halt.reason;
    }
    const body: Record<string, unknown> = {
      status,
      ended_at: isoNow(),
      duration_ms: Math.max(0, Math.round(performance.now() - exec.startPerf)),
      total_tokens_in: exec.tokensIn,
      total_tokens_out: exec.tokensOut,
      estimated_cost_usd: exec.costUsd,
    };
    if (signature) body.crash_signature = signature;
    if (haltReason) body.halt_reason = cutUtf8(haltReason, MAX_REASON_BYTES);
    getShipper().enqueue({ kind: "patch", executionId: exec.id, body });
  } catch {
    // telemetry must never break the agent
  }
}
