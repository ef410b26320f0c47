import { Budget, type BudgetOptions } from "./budget.js";
import {
  addUsage,
  currentExecution,
  endExecution,
  executionStorage,
  raiseIfHalted,
  recordEvent,
  startExecution,
  type Execution,
} from "./execution.js";
import { VigilHalt } from "./halt.js";
import { estimateCostUsd } from "./pricing.js";
import {
  errorMessage,
  errorTypeName,
  executionName,
  MAX_TEXT_CHARS,
  resultText,
  summarize,
  toJsonSafe,
  truncate,
} from "./summary.js";

type AnyFunction = (...args: any[]) => any;

/** Options of `wrap`. */
export interface WrapOptions {
  /**
   * The agent's name, sent as the execution's `name` (a protocol extension): the server lists and
   * filters executions by it and learns each name's usual steps, duration and cost. Defaults to the
   * function's name; an anonymous function sends none.
   */
  name?: string;
  /** Local limits; also sent as the execution's `budget`. A plain object is accepted too. */
  budget?: Budget | BudgetOptions;
  /** Subscribe to remote halts (`POST /executions/{id}/halt`) even without a budget. */
  remoteHalt?: boolean;
}

/** Options of `tool`. */
export interface ToolOptions {
  /** The `tool_name` recorded; defaults to the function's name. */
  name?: string;
  /** Record the call's arguments (bounded JSON). Default true. */
  captureArguments?: boolean;
  /** Record the result (`result_summary`, and `result_text` up to 16 KiB). Default true. */
  captureResult?: boolean;
}

/** The data of one LLM call, for `emitLlmCall`. */
export interface LlmCall {
  /** Model name; `"unknown"` when absent. */
  model?: string;
  systemPrompt?: string;
  /** The last user message sent. */
  userMessage?: string;
  responseText?: string;
  inputTokens?: number;
  outputTokens?: number;
  /** The part of `inputTokens` read from the provider's prompt cache (priced at its cache rate). */
  cachedInputTokens?: number;
  /** The part of `outputTokens` spent on hidden reasoning (priced at its provider's rate). */
  reasoningTokens?: number;
  /** Latency in ms (the event's `duration_ms`). */
  durationMs?: number;
  /** `"ok"` (default) or `"failed"`. An `error` implies `"failed"`. */
  status?: "ok" | "failed";
  /** The error of a failed call; its type and message are recorded. */
  error?: unknown;
  /** Overrides the price-table estimate, e.g. with the provider's billed cost. */
  costUsd?: number;
  /**
   * The request's `contextSha256(model, messages, tools)`, so the server can tell a repeated
   * request from a new step that keeps the same last user message. The adapters set it.
   */
  contextSha256?: string;
  /** The tool calls the model asked for in its answer (the adapters fill it). */
  toolCalls?: LlmToolCall[];
}

/** A tool call a model asked for: `arguments` as the JSON text it wrote (a cut stream leaves it partial). */
export interface LlmToolCall {
  id?: string;
  name: string;
  arguments: string;
}

/** At most this many tool calls are kept per llm_call: a model asks for a handful per answer. */
const MAX_TOOL_CALLS = 64;

function toolCallsPayload(calls: LlmToolCall[]): Record<string, string>[] {
  return calls.slice(0, MAX_TOOL_CALLS).map((c) => ({
    ...(typeof c.id === "string" && c.id ? { id: c.id } : {}),
    name: String(c.name ?? ""),
    arguments: truncate(String(c.arguments ?? ""), MAX_TEXT_CHARS),
  }));
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && (typeof v === "object" || typeof v === "function") && typeof (v as { then?: unknown }).then === "function";
}

// The form the server accepts; anything else would be ignored there, so it is not sent.
const CONTEXT_SHA256 = /^[0-9a-f]{64}$/;

function count(v: unknown): number {
  return typeof v === "number" && Number.isFinite(v) && v > 0 ? Math.floor(v) : 0;
}

function toBudget(b: Budget | BudgetOptions | undefined): Budget | undefined {
  if (b === undefined || b === null) return undefined;
  return b instanceof Budget ? b : new Budget(b);
}

function copyName<F extends AnyFunction>(wrapped: AnyFunction, fn: F): F {
  try {
    Object.defineProperty(wrapped, "name", { value: fn.name, configurable: true });
    Object.defineProperty(wrapped, "length", { value: fn.length, configurable: true });
  } catch {
    // cosmetic only
  }
  return wrapped as F;
}

/**
 * Wraps an agent function (sync or async) so that each call is one Vigil execution: created when
 * the call starts, ended with its status (`completed`, `crashed` with a crash signature, or `halted`),
 * duration, tokens and cost. Calls made inside another wrapped call are child executions
 * (`parent_execution_id`). Errors are rethrown unchanged; a VigilHalt ends the call as `halted`.
 *
 * `wrap(fn)`, `wrap(fn, options)`, `wrap(options, fn)` (the Mesedi SDK's order) or, as a decorator
 * factory, `wrap(options)(fn)`.
 */
export function wrap<F extends AnyFunction>(fn: F, options?: WrapOptions): F;
export function wrap<F extends AnyFunction>(options: WrapOptions, fn: F): F;
export function wrap(options: WrapOptions): <F extends AnyFunction>(fn: F) => F;
export function wrap<F extends AnyFunction>(
  fnOrOptions: F | WrapOptions,
  maybeOptions?: WrapOptions | F,
): F | (<G extends AnyFunction>(fn: G) => G) {
  if (typeof fnOrOptions !== "function") {
    const opts = fnOrOptions ?? {};
    if (typeof maybeOptions === "function") return wrap(maybeOptions, opts);
    return <G extends AnyFunction>(fn: G): G => wrap(fn, opts);
  }
  if (typeof maybeOptions === "function") throw new TypeError("wrap() takes one function");
  const fn = fnOrOptions;
  const options = maybeOptions ?? {};
  const budget = toBudget(options.budget);
  const name = options.name || fn.name || "agent";
  const wireName = executionName(options.name || fn.name);
  const watchRemote = budget !== undefined || options.remoteHalt === true;

  const wrapped = function (this: unknown, ...args: unknown[]): unknown {
    let exec: Execution;
    try {
      exec = startExecution(name, budget, wireName);
    } catch (err) {
      if (err instanceof VigilHalt) throw err;
      return fn.apply(this, args); // an SDK fault must not stop the agent
    }
    let result: unknown;
    try {
      result = executionStorage.run(exec, () => fn.apply(this, args));
    } catch (err) {
      endExecution(exec, err, true);
      throw err;
    }
    if (!isThenable(result)) {
      endExecution(exec, undefined, false);
      return result;
    }
    // Only an async agent can receive a halt while it runs, so only it gets a halt stream.
    if (watchRemote) exec.openStream();
    return Promise.resolve(result).then(
      (value) => {
        endExecution(exec, undefined, false);
        return value;
      },
      (err: unknown) => {
        endExecution(exec, err, true);
        throw err;
      },
    );
  };
  return copyName(wrapped, fn);
}

/** Records one tool call's `tool_call` event (used by `tool` and the framework integrations). */
export function recordToolCall(
  exec: Execution,
  toolName: string,
  args: unknown[],
  options: ToolOptions,
  started: number,
  outcome: { ok: true; value: unknown } | { ok: false; error: unknown },
): void {
  try {
    const payload: Record<string, unknown> = { tool_name: toolName };
    if (options.captureArguments !== false) payload.arguments = { args: toJsonSafe(args) };
    if (outcome.ok) {
      payload.status = "ok";
      if (options.captureResult !== false) {
        payload.result_summary = summarize(outcome.value);
        payload.result_text = resultText(outcome.value);
      }
    } else {
      payload.status = "failed";
      payload.exception_type = errorTypeName(outcome.error);
      payload.exception_message = errorMessage(outcome.error);
    }
    recordEvent(exec, "tool_call", payload, Math.max(0, Math.round(performance.now() - started)));
  } catch {
    // telemetry must never break the agent
  }
}

/**
 * Wraps a tool function so each call inside a wrapped execution records a `tool_call` event
 * (name, arguments, status, result summary or error, duration). A call is a halt point: a due halt
 * is thrown before the tool runs. Outside an execution the tool just runs.
 *
 * `tool(fn)`, `tool(fn, options)`, `tool(name, fn)` or `tool(options, fn)` (the Mesedi SDK's order).
 */
export function tool<F extends AnyFunction>(fn: F, options?: ToolOptions): F;
export function tool<F extends AnyFunction>(name: string, fn: F, options?: ToolOptions): F;
export function tool<F extends AnyFunction>(options: ToolOptions, fn: F): F;
export function tool<F extends AnyFunction>(
  a: F | string | ToolOptions,
  b?: F | ToolOptions,
  c?: ToolOptions,
): F {
  let fn: F;
  let options: ToolOptions;
  if (typeof a === "string") {
    fn = b as F;
    options = { ...(c ?? {}), name: a };
  } else if (typeof a !== "function" && typeof b === "function") {
    fn = b as F;
    options = a ?? {};
  } else {
    fn = a as F;
    options = (b as ToolOptions | undefined) ?? {};
  }
  if (typeof fn !== "function") throw new TypeError("tool() needs a function");
  const toolName = options.name || fn.name || "tool";
  const wrapped = function (this: unknown, ...args: unknown[]): unknown {
    const exec = currentExecution();
    if (!exec) return fn.apply(this, args);
    raiseIfHalted(exec);
    const started = performance.now();
    let result: unknown;
    try {
      result = fn.apply(this, args);
    } catch (error) {
      recordToolCall(exec, toolName, args, options, started, { ok: false, error });
      throw error;
    }
    if (!isThenable(result)) {
      recordToolCall(exec, toolName, args, options, started, { ok: true, value: result });
      return result;
    }
    return Promise.resolve(result).then(
      (value) => {
        recordToolCall(exec, toolName, args, options, started, { ok: true, value });
        return value;
      },
      (error: unknown) => {
        recordToolCall(exec, toolName, args, options, started, { ok: false, error });
        throw error;
      },
    );
  };
  return copyName(wrapped, fn);
}

/** Records a `checkpoint` event (a named progress mark with optional metadata). A halt point. */
export function checkpoint(name: string, metadata?: Record<string, unknown>): void {
  const exec = currentExecution();
  if (!exec) return;
  recordEvent(exec, "checkpoint", { name: truncate(String(name)), metadata: toJsonSafe(metadata ?? {}) });
  raiseIfHalted(exec);
}

/** Options of `validatorResult`. */
export interface ValidatorOptions {
  severity?: "warning" | "error" | "critical";
  message?: string;
}

/**
 * Records a `validator_result` event (an output check that passed or failed). A halt point.
 * `validatorResult(name, passed, { message, severity })`, or positionally
 * `validatorResult(name, passed, message, severity)` as the Mesedi Python SDK's `validator_result`.
 */
export function validatorResult(name: string, passed: boolean, options?: ValidatorOptions): void;
export function validatorResult(name: string, passed: boolean, message: string, severity?: ValidatorOptions["severity"]): void;
export function validatorResult(
  name: string,
  passed: boolean,
  optionsOrMessage: ValidatorOptions | string = {},
  severity?: ValidatorOptions["severity"],
): void {
  const exec = currentExecution();
  if (!exec) return;
  const options: ValidatorOptions =
    typeof optionsOrMessage === "string" ? { message: optionsOrMessage, severity } : (optionsOrMessage ?? {});
  const payload: Record<string, unknown> = { name: truncate(String(name)), passed: passed === true };
  if (options.severity) payload.severity = options.severity;
  if (options.message !== undefined) payload.message = truncate(String(options.message));
  recordEvent(exec, "validator_result", payload);
  raiseIfHalted(exec);
}

/**
 * Records an `llm_call` event and adds its tokens and cost to the execution. Then a halt point:
 * throws a VigilHalt if this call exhausted a budget (the call is recorded first).
 */
export function emitLlmCall(call: LlmCall): void {
  const exec = currentExecution();
  if (!exec) return;
  recordLlmCall(exec, call);
  raiseIfHalted(exec);
}

/** Records an llm call on `exec` without any halt check (adapters use it off the agent's path). */
export function recordLlmCall(exec: Execution, call: LlmCall): void {
  try {
    const model = call.model ? String(call.model) : "unknown";
    const failed = call.status === "failed" || call.error !== undefined;
    const inputTokens = count(call.inputTokens);
    const outputTokens = count(call.outputTokens);
    const payload: Record<string, unknown> = {
      model,
      system_prompt: truncate(String(call.systemPrompt ?? ""), MAX_TEXT_CHARS),
      user_message: truncate(String(call.userMessage ?? ""), MAX_TEXT_CHARS),
      status: failed ? "failed" : "ok",
    };
    if (call.responseText !== undefined) payload.response_text = truncate(String(call.responseText), MAX_TEXT_CHARS);
    if (Array.isArray(call.toolCalls) && call.toolCalls.length > 0) payload.tool_calls = toolCallsPayload(call.toolCalls);
    if (typeof call.contextSha256 === "string" && CONTEXT_SHA256.test(call.contextSha256)) {
      payload.context_sha256 = call.contextSha256;
    }
    const cached = count(call.cachedInputTokens);
    const reasoning = count(call.reasoningTokens);
    if (!failed) {
      payload.input_tokens = inputTokens;
      payload.output_tokens = outputTokens;
      if (call.cachedInputTokens !== undefined) payload.cached_input_tokens = cached;
      if (call.reasoningTokens !== undefined) payload.reasoning_tokens = reasoning;
    } else {
      payload.exception_type = call.error !== undefined ? errorTypeName(call.error) : "Error";
      payload.exception_message = call.error !== undefined ? errorMessage(call.error) : "";
    }
    const cost =
      typeof call.costUsd === "number" && Number.isFinite(call.costUsd) && call.costUsd >= 0
        ? call.costUsd
        : estimateCostUsd(model, inputTokens, outputTokens, cached, reasoning);
    const duration = call.durationMs !== undefined ? count(Math.round(call.durationMs)) : undefined;
    recordEvent(exec, "llm_call", payload, duration);
    addUsage(exec, inputTokens, outputTokens, cost);
  } catch {
    // telemetry must never break the agent
  }
}

/**
 * The AbortSignal of the current execution: aborted, with the VigilHalt as `reason`, as soon as a
 * halt is due (remote halt received, wall-clock budget reached, or another budget exceeded at a call
 * point). Pass it to fetch or an LLM client to stop waiting at once. Undefined outside an execution.
 */
export function currentSignal(): AbortSignal | undefined {
  return currentExecution()?.signal;
}

/** The id of the current execution (`exec-…`), undefined outside one. */
export function currentExecutionId(): string | undefined {
  return currentExecution()?.id;
}

/** Throws the due VigilHalt, if any: an explicit halt point for loops that call nothing else. */
export function checkHalt(): void {
  const exec = currentExecution();
  if (exec) raiseIfHalted(exec);
}
