/**
 * Optional integration for the Vercel AI SDK (npm `ai`), imported as `vigil-sdk/ai` (or
 * `vigil-sdk/integrations/vercel_ai`, the Mesedi SDK's path). It does not import `ai`: it wraps the
 * model and tool objects you pass, so `ai` is not a dependency of this package.
 *
 *     import { generateText, wrapLanguageModel } from "ai";
 *     import { instrumentTools, vigilMiddleware } from "vigil-sdk/ai";
 *     const model = wrapLanguageModel({ model: openai("gpt-4o"), middleware: vigilMiddleware() });
 *     await generateText({ model, tools: instrumentTools({ weather }), prompt });
 *
 * or, in one line, `const generate = wrapGenerateText(generateText)` (and `wrapStreamText`).
 * Inside a wrapped execution every model call (each step of a multi-step run) records an
 * `llm_call`: model, system prompt, last user message, response text, input/output tokens with
 * their cached and reasoning parts, the tool calls asked for, latency, or the error of a failed call;
 * a streamed call (`streamText`) once its stream ends, fails or is cancelled. Every tool execution
 * records a `tool_call`. Both are halt points: a due halt, or a step budget with no room for
 * another call, stops the run before the model or the tool is called.
 */
import { recordLlmCall, tool as vigilTool, type LlmCall, type LlmToolCall } from "../api.js";
import { currentExecution, raiseIfHalted, type Execution } from "../execution.js";
import {
  INSTRUMENTED,
  lastUserMessage,
  num,
  optionalCount,
  requestDigest,
  textOf,
  toolCallOf,
  type AnyRecord,
} from "./common.js";

/** The call options a model receives (`LanguageModelV3CallOptions`), as far as they are read here. */
type CallOptions = AnyRecord;

/** A Vercel AI SDK language model (`LanguageModelV3`, or `V2`), as far as it is used here. */
export interface LanguageModelLike {
  readonly specificationVersion?: string;
  readonly provider?: string;
  readonly modelId?: string;
  doGenerate(options: CallOptions): PromiseLike<any>;
  doStream(options: CallOptions): PromiseLike<any>;
}

/** The middleware `vigilMiddleware()` returns, for `wrapLanguageModel({ model, middleware })`. */
export interface VigilLanguageModelMiddleware {
  readonly specificationVersion: "v3";
  wrapGenerate(options: { doGenerate: () => PromiseLike<any>; params: CallOptions; model: any }): Promise<any>;
  wrapStream(options: { doStream: () => PromiseLike<any>; params: CallOptions; model: any }): Promise<any>;
}

type Prompt = Pick<LlmCall, "model" | "systemPrompt" | "userMessage" | "contextSha256">;
type Usage = Pick<LlmCall, "inputTokens" | "outputTokens" | "cachedInputTokens" | "reasoningTokens">;

function promptOf(params: CallOptions, model: AnyRecord | undefined): Prompt {
  const prompt = Array.isArray(params?.prompt) ? (params.prompt as AnyRecord[]) : [];
  const system = prompt.filter((m) => m && m.role === "system").map((m) => textOf(m.content));
  const modelId = typeof model?.modelId === "string" ? model.modelId : undefined;
  return {
    model: modelId,
    systemPrompt: system.join("\n"),
    userMessage: lastUserMessage(prompt),
    contextSha256: requestDigest(modelId, prompt, params?.tools),
  };
}

/** Usage of a model call: V3's `{ total, cacheRead }` / `{ total, reasoning }` objects, or V2's numbers. */
function usageOf(usage: AnyRecord | undefined): Usage {
  if (!usage) return {};
  const input = usage.inputTokens;
  const output = usage.outputTokens;
  if (input && typeof input === "object") {
    return {
      inputTokens: num(input.total),
      outputTokens: num(output?.total),
      cachedInputTokens: optionalCount(input.cacheRead),
      reasoningTokens: optionalCount(output?.reasoning),
    };
  }
  return {
    inputTokens: num(input),
    outputTokens: num(output),
    cachedInputTokens: optionalCount(usage.cachedInputTokens),
    reasoningTokens: optionalCount(usage.reasoningTokens),
  };
}

function textOfContent(content: unknown): string {
  if (!Array.isArray(content)) return "";
  return content
    .filter((part: AnyRecord) => part && part.type === "text" && typeof part.text === "string")
    .map((part: AnyRecord) => part.text as string)
    .join("");
}

function toolCallsOfContent(content: unknown): LlmToolCall[] {
  if (!Array.isArray(content)) return [];
  return content
    .filter((part: AnyRecord) => part && part.type === "tool-call")
    .map((part: AnyRecord) => toolCallOf(part.toolCallId, part.toolName, part.input));
}

function safeRecord(exec: Execution, call: LlmCall): void {
  try {
    recordLlmCall(exec, call);
  } catch {
    // telemetry must never break the agent
  }
}

/** The model's answer to `call()`; a call that fails is recorded as a failed llm_call and rethrown. */
async function answerOf(exec: Execution, prompt: Prompt, started: number, call: () => PromiseLike<any>): Promise<AnyRecord> {
  try {
    return await call();
  } catch (error) {
    safeRecord(exec, { ...prompt, error, durationMs: performance.now() - started });
    throw error;
  }
}

async function recordGenerate(exec: Execution, prompt: Prompt, doGenerate: () => PromiseLike<any>): Promise<any> {
  const started = performance.now();
  const result = await answerOf(exec, prompt, started, doGenerate);
  const model = typeof result?.response?.modelId === "string" ? result.response.modelId : prompt.model;
  safeRecord(exec, {
    ...prompt, model, responseText: textOfContent(result?.content), durationMs: performance.now() - started,
    ...usageOf(result?.usage), toolCalls: toolCallsOfContent(result?.content),
  });
  raiseIfHalted(exec);
  return result;
}

/** What a model's stream has said so far: its parts as the AI SDK's stream protocol names them. */
class StreamParts {
  text = "";
  model: string | undefined;
  usage: Usage = {};
  error: unknown;
  readonly toolCalls: LlmToolCall[] = [];

  constructor(model: string | undefined) {
    this.model = model;
  }

  add(part: AnyRecord): void {
    if (part?.type === "text-delta" && typeof part.delta === "string") this.text += part.delta;
    else if (part?.type === "response-metadata" && typeof part.modelId === "string") this.model = part.modelId;
    else if (part?.type === "tool-call") this.toolCalls.push(toolCallOf(part.toolCallId, part.toolName, part.input));
    else if (part?.type === "finish") this.usage = usageOf(part.usage);
    else if (part?.type === "error") this.error = part.error ?? "stream error";
  }
}

/**
 * Passes a model's stream part by part and records the call once: when the stream ends, fails or is
 * cancelled (what arrived so far), or, for a stream still open then, when the execution ends.
 */
function observedStream(exec: Execution, prompt: Prompt, started: number, stream: ReadableStream<AnyRecord>) {
  const parts = new StreamParts(prompt.model);
  let open = true;
  const end = (thrown?: unknown) => {
    if (!open) return;
    open = false;
    exec.openStreams.delete(endAtExit);
    const { model, text: responseText, toolCalls } = parts;
    const error = thrown ?? parts.error;
    const durationMs = performance.now() - started;
    if (error !== undefined) safeRecord(exec, { ...prompt, model, responseText, toolCalls, error, durationMs });
    else safeRecord(exec, { ...prompt, model, responseText, toolCalls, durationMs, ...parts.usage });
  };
  const endAtExit = () => end();
  exec.openStreams.add(endAtExit);
  const reader = stream.getReader();
  return new ReadableStream<AnyRecord>({
    async pull(controller) {
      let next: Awaited<ReturnType<typeof reader.read>>;
      try {
        next = await reader.read();
      } catch (error) {
        end(error);
        controller.error(error);
        return;
      }
      if (next.done) {
        end();
        controller.close();
        return;
      }
      parts.add(next.value);
      controller.enqueue(next.value);
    },
    async cancel(reason) {
      end();
      await reader.cancel(reason);
    },
  });
}

/**
 * A language model middleware (AI SDK `LanguageModelV3Middleware`) recording each model call of a
 * wrapped execution as an `llm_call`, streamed calls once their stream ends. Outside an execution
 * it passes calls through untouched.
 */
export function vigilMiddleware(): VigilLanguageModelMiddleware {
  return {
    specificationVersion: "v3",
    async wrapGenerate({ doGenerate, params, model }) {
      const exec = currentExecution();
      if (!exec) return doGenerate();
      raiseIfHalted(exec, true);
      return recordGenerate(exec, promptOf(params, model), doGenerate);
    },
    async wrapStream({ doStream, params, model }) {
      const exec = currentExecution();
      if (!exec) return doStream();
      raiseIfHalted(exec, true);
      const prompt = promptOf(params, model);
      const started = performance.now();
      const result = await answerOf(exec, prompt, started, doStream);
      if (!(result?.stream instanceof ReadableStream)) return result;
      return { ...result, stream: observedStream(exec, prompt, started, result.stream) };
    },
  };
}

/**
 * The model with `vigilMiddleware()` applied, without importing `ai` (what `wrapLanguageModel`
 * does). Anything that is not a model object, such as a gateway model id string, is returned as it
 * is: its calls are not recorded.
 */
export function instrumentModel<M>(model: M): M {
  const m = model as unknown as LanguageModelLike & AnyRecord;
  if (!m || typeof m !== "object" || typeof m.doGenerate !== "function" || typeof m.doStream !== "function") return model;
  if (m[INSTRUMENTED]) return model;
  const middleware = vigilMiddleware();
  const wrapped: AnyRecord = {
    specificationVersion: m.specificationVersion,
    provider: m.provider,
    modelId: m.modelId,
    get supportedUrls() {
      return m.supportedUrls;
    },
    doGenerate: (params: CallOptions) =>
      middleware.wrapGenerate({ doGenerate: () => m.doGenerate(params), params, model: m }),
    doStream: (params: CallOptions) => middleware.wrapStream({ doStream: () => m.doStream(params), params, model: m }),
  };
  Object.defineProperty(wrapped, INSTRUMENTED, { value: true });
  return wrapped as unknown as M;
}

/**
 * The tools with each `execute` recording a `tool_call` (named by its key in `tools`, with the
 * tool's input as its argument) inside a wrapped execution. A tool call is a halt point. Tools
 * without `execute` are kept as they are.
 */
export function instrumentTools<T extends Record<string, any>>(tools: T): T {
  if (!tools || typeof tools !== "object") return tools;
  const out: Record<string, unknown> = {};
  for (const [name, t] of Object.entries(tools)) {
    const execute = t?.execute;
    if (typeof execute !== "function" || execute[INSTRUMENTED]) {
      out[name] = t;
      continue;
    }
    // Only the input is recorded: the options hold the whole conversation.
    const recorded = function (this: unknown, input: unknown, options: unknown): unknown {
      return vigilTool({ name }, (i: unknown) => execute.call(t, i, options))(input);
    };
    Object.defineProperty(recorded, INSTRUMENTED, { value: true });
    out[name] = { ...t, execute: recorded };
  }
  return out as T;
}

/** The call options of `generateText`/`streamText` with the model and the tools instrumented. */
function instrumentOptions(options: unknown): unknown {
  if (!options || typeof options !== "object") return options;
  const o = options as AnyRecord;
  return { ...o, model: instrumentModel(o.model), ...(o.tools ? { tools: instrumentTools(o.tools) } : {}) };
}

/**
 * `wrapGenerateText(generateText)` (the Mesedi SDK's name): a drop-in `generateText` whose model
 * calls and tool executions are recorded as with `instrumentModel` and `instrumentTools`.
 */
export function wrapGenerateText<F extends (options: any) => any>(generateText: F): F {
  return ((options: unknown) => generateText(instrumentOptions(options))) as F;
}

/** `wrapStreamText(streamText)`: the same for `streamText`. */
export function wrapStreamText<F extends (options: any) => any>(streamText: F): F {
  return ((options: unknown) => streamText(instrumentOptions(options))) as F;
}
