import { recordLlmCall, type LlmCall, type LlmToolCall } from "../api.js";
import { contextSha256 } from "../context.js";
import { currentExecution, raiseIfHalted, type Execution } from "../execution.js";

// Shared machinery of the client adapters. The adapters never import the clients: they patch the
// instance they are given, duck-typed, so neither client is a dependency of this package.

export const INSTRUMENTED = Symbol.for("vigil-sdk.instrumented");

export type AnyRecord = Record<PropertyKey, any>;

/** How one client's call and response map onto an llm_call. */
export interface LlmCallShape {
  /** Prompt-side fields, from the request parameters. */
  request(params: AnyRecord): Pick<LlmCall, "model" | "systemPrompt" | "userMessage" | "contextSha256">;
  /** Model, text and tokens of a complete (non-streamed) response. */
  response(value: AnyRecord): ResponseFields;
  /** Adds one chunk of a streamed response to the running `totals` of that response. */
  addChunk(totals: StreamTotals, chunk: AnyRecord): void;
}

/** What a response tells about its call. */
export type ResponseFields = Pick<
  LlmCall,
  "model" | "responseText" | "inputTokens" | "outputTokens" | "cachedInputTokens" | "reasoningTokens" | "toolCalls"
>;

/** What a streamed response has added up to so far; each adapter knows which chunks carry what. */
export interface StreamTotals {
  model: string | undefined;
  text: string;
  tokensIn: number;
  tokensOut: number;
  /** Parts of the totals, when the provider reports them. */
  tokensCached?: number;
  tokensReasoning?: number;
  /** Tool calls by their index in the answer, their arguments growing fragment by fragment. */
  tools: Map<unknown, LlmToolCall>;
  /** An error the provider reported inside a stream that ended normally: the call failed. */
  failure?: ProviderError;
}

/** An error a provider reported inside a stream rather than by failing it (a `response.failed` event). */
export class ProviderError extends Error {}

/** Adds a piece of the tool call `key` to `totals`: id and name arrive once, the arguments in fragments. */
export function addToolFragment(totals: StreamTotals, key: unknown, id?: unknown, name?: unknown, args?: unknown): void {
  let call = totals.tools.get(key);
  if (!call) {
    call = { name: "", arguments: "" };
    totals.tools.set(key, call);
  }
  if (typeof id === "string" && id) call.id = id;
  if (typeof name === "string" && name) call.name = name;
  if (typeof args === "string") call.arguments += args;
}

/** A tool call of a complete answer; object arguments (Anthropic's `input`) as JSON text. */
export function toolCallOf(id: unknown, name: unknown, args: unknown): LlmToolCall {
  let text: string;
  if (typeof args === "string") text = args;
  else {
    try {
      text = JSON.stringify(args ?? {});
    } catch {
      text = String(args);
    }
  }
  return { ...(typeof id === "string" && id ? { id } : {}), name: typeof name === "string" ? name : "", arguments: text };
}

/** A token count the response may hold: a number as `num` reads it, else undefined. */
export function optionalCount(v: unknown): number | undefined {
  return typeof v === "number" ? num(v) : undefined;
}

interface StreamAccumulator {
  add(chunk: AnyRecord): void;
  result(): ResponseFields;
  failure(): ProviderError | undefined;
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && (typeof v === "object" || typeof v === "function") && typeof (v as AnyRecord).then === "function";
}

/** Text of a string or of an array of content blocks/parts (`{type:"text", text}`), joined by newlines. */
export function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  const parts: string[] = [];
  for (const block of content) {
    if (typeof block === "string") parts.push(block);
    else if (block && typeof block === "object") {
      const b = block as AnyRecord;
      if (typeof b.text === "string") parts.push(b.text);
      else if (b.type === "tool_result") parts.push(textOf(b.content));
    }
  }
  return parts.join("\n");
}

/** The content of the last message with role `user`, as text. */
export function lastUserMessage(messages: unknown): string {
  if (!Array.isArray(messages)) return "";
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i] as AnyRecord | undefined;
    if (m && m.role === "user") return textOf(m.content);
  }
  return "";
}

/** The text of the `system` and `developer` messages of a chat request, joined by newlines. */
export function systemMessages(messages: unknown): string {
  if (!Array.isArray(messages)) return "";
  return messages
    .filter((m: AnyRecord) => m && (m.role === "system" || m.role === "developer"))
    .map((m: AnyRecord) => textOf(m.content))
    .join("\n");
}

/** `contextSha256` of a request, or undefined when it holds something JSON cannot represent. */
export function requestDigest(model: unknown, messages: unknown, tools: unknown): string | undefined {
  try {
    return contextSha256(model, messages, tools);
  } catch {
    return undefined;
  }
}

export function num(v: unknown): number {
  return typeof v === "number" && Number.isFinite(v) ? v : 0;
}

/** A model name as sent or returned: a string, else undefined. */
export function modelName(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

/** A fresh accumulator for a streamed response of `shape`. */
function accumulator(shape: LlmCallShape): StreamAccumulator {
  const totals: StreamTotals = { model: undefined, text: "", tokensIn: 0, tokensOut: 0, tools: new Map() };
  return {
    add: (chunk) => shape.addChunk(totals, chunk),
    result: () => ({
      model: totals.model,
      responseText: totals.text,
      inputTokens: totals.tokensIn,
      outputTokens: totals.tokensOut,
      cachedInputTokens: totals.tokensCached,
      reasoningTokens: totals.tokensReasoning,
      toolCalls: [...totals.tools.values()],
    }),
    failure: () => totals.failure,
  };
}

function safe(fn: () => void): void {
  try {
    fn();
  } catch {
    // telemetry must never break the agent
  }
}

/** Wraps an async iterator so every chunk reaches `acc`; `done` runs once when iteration stops. */
function observeIterator(
  it: AsyncIterator<unknown>,
  acc: StreamAccumulator,
  done: (error?: unknown) => void,
): AsyncIterator<unknown> {
  let finished = false;
  const finish = (error?: unknown) => {
    if (finished) return;
    finished = true;
    done(error);
  };
  return {
    async next(...args: [] | [unknown]) {
      try {
        const r = await it.next(...args);
        if (r.done) finish();
        else safe(() => acc.add(r.value as AnyRecord));
        return r;
      } catch (err) {
        finish(err);
        throw err;
      }
    },
    async return(value?: unknown) {
      finish();
      return it.return ? it.return(value) : { done: true as const, value };
    },
    async throw(err?: unknown) {
      finish(err);
      if (it.throw) return it.throw(err);
      throw err;
    },
  };
}

/** Makes a streamed response report its usage when it has been iterated. */
function observeStream(stream: AnyRecord, acc: StreamAccumulator, done: (error?: unknown) => void): void {
  const original = stream[Symbol.asyncIterator];
  if (typeof original !== "function") {
    done();
    return;
  }
  Object.defineProperty(stream, Symbol.asyncIterator, {
    configurable: true,
    writable: true,
    value: function (this: unknown) {
      return observeIterator(original.call(this ?? stream), acc, done);
    },
  });
}

function record(exec: Execution, call: LlmCall): void {
  safe(() => recordLlmCall(exec, call));
}

type Prompt = Pick<LlmCall, "model" | "systemPrompt" | "userMessage" | "contextSha256">;

/**
 * Records a streamed call once: when its stream is iterated to the end, left early or fails, or,
 * for a stream still open then, when the execution ends.
 */
function observeStreamed(exec: Execution, prompt: Prompt, stream: AnyRecord, shape: LlmCallShape, elapsed: () => number) {
  const acc = accumulator(shape);
  let open = true;
  const end = (thrown?: unknown) => {
    if (!open) return;
    open = false;
    exec.openStreams.delete(endAtExit);
    const error = thrown ?? acc.failure();
    let got: ResponseFields = {};
    safe(() => {
      got = acc.result();
    });
    // A stream that broke off keeps what arrived before the error (its tokens are not sent).
    const failure = error !== undefined ? { status: "failed" as const, error } : {};
    record(exec, { ...prompt, ...got, model: got.model || prompt.model, durationMs: elapsed(), ...failure });
  };
  const endAtExit = () => end();
  exec.openStreams.add(endAtExit);
  observeStream(stream, acc, end);
}

/**
 * Calls a client method on behalf of the agent and records it as an llm_call. Inside an execution
 * the call is a halt point that also refuses to start an llm call the step budget has no room for.
 * The client's own return value (e.g. an APIPromise with `withResponse()`) is returned untouched;
 * the record is taken from a side branch registered before the agent can await it.
 */
export function callInstrumented(
  original: (...args: unknown[]) => unknown,
  thisArg: unknown,
  args: unknown[],
  shape: LlmCallShape,
): unknown {
  const exec = currentExecution();
  if (!exec) return original.apply(thisArg, args);
  raiseIfHalted(exec, true);
  const params = (args[0] && typeof args[0] === "object" ? args[0] : {}) as AnyRecord;
  let prompt: Prompt = {};
  safe(() => {
    prompt = shape.request(params);
  });
  const started = performance.now();
  const elapsed = () => performance.now() - started;
  const fail = (error: unknown) => record(exec, { ...prompt, status: "failed", error, durationMs: elapsed() });
  const succeed = (value: unknown) => {
    if (params.stream === true && value && typeof value === "object") {
      observeStreamed(exec, prompt, value as AnyRecord, shape, elapsed);
      return;
    }
    let got: ReturnType<LlmCallShape["response"]> = {};
    safe(() => {
      got = shape.response((value ?? {}) as AnyRecord);
    });
    record(exec, { ...prompt, ...got, model: got.model || prompt.model, durationMs: elapsed() });
  };

  let result: unknown;
  try {
    result = original.apply(thisArg, args);
  } catch (error) {
    fail(error);
    throw error;
  }
  if (!isThenable(result)) {
    succeed(result);
    return result;
  }
  safe(() => {
    (result as PromiseLike<unknown>).then(
      (value) => safe(() => succeed(value)),
      (error) => safe(() => fail(error)),
    );
  });
  return result;
}

/** Replaces `resource[method]` with an instrumented version (once per resource). */
export function patchMethod(resource: AnyRecord, method: string, shape: LlmCallShape, what: string): void {
  const original = resource?.[method];
  if (typeof original !== "function") throw new TypeError(`${what}: expected a client with ${method}()`);
  if ((original as AnyRecord)[INSTRUMENTED]) return;
  const patched = function (this: unknown, ...args: unknown[]): unknown {
    return callInstrumented(original as (...a: unknown[]) => unknown, this ?? resource, args, shape);
  };
  Object.defineProperty(patched, INSTRUMENTED, { value: true });
  resource[method] = patched;
}
