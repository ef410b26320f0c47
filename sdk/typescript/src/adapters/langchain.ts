import { recordLlmCall, recordToolCall, type LlmCall } from "../api.js";
import { currentExecution, raiseIfHalted, recordCause, type Execution } from "../execution.js";
import { VigilHalt } from "../halt.js";
import { optionalCount, textOf, type AnyRecord } from "./common.js";

// LangChain.js callback handler. It does not import @langchain/core (not a dependency of this
// package): LangChain accepts any object shaped like its BaseCallbackHandler (a `name`, a `copy()`
// method and the `awaitHandlers` flag), and calls its handle* methods with serialized runs.

interface LlmRun {
  exec: Execution;
  model: string | undefined;
  systemPrompt: string | undefined;
  userMessage: string | undefined;
  started: number;
}

interface ToolRun {
  exec: Execution;
  name: string;
  input: unknown;
  started: number;
}

function modelName(serialized: AnyRecord | undefined, extraParams: AnyRecord | undefined, metadata?: AnyRecord) {
  const params = (extraParams?.invocation_params ?? {}) as AnyRecord;
  const kwargs = (serialized?.kwargs ?? {}) as AnyRecord;
  const found = params.model ?? params.modelName ?? params.model_name ?? metadata?.ls_model_name ?? kwargs.model ?? kwargs.model_name;
  return typeof found === "string" && found ? found : undefined;
}

/** The kind of a LangChain message: `_getType()` on message objects, `type`/`role` on plain ones. */
function kindOf(message: AnyRecord): string {
  try {
    if (typeof message._getType === "function") return String(message._getType());
  } catch {
    // fall through to the fields
  }
  return String(message.type ?? message.role ?? "");
}

/** Token counts of an LLMResult: the message's usage_metadata, else llmOutput.tokenUsage. */
function usageOf(output: AnyRecord): Pick<LlmCall, "inputTokens" | "outputTokens" | "cachedInputTokens" | "reasoningTokens"> {
  const usage = output?.generations?.[0]?.[0]?.message?.usage_metadata as AnyRecord | undefined;
  if (usage) {
    return {
      inputTokens: optionalCount(usage.input_tokens),
      outputTokens: optionalCount(usage.output_tokens),
      cachedInputTokens: optionalCount(usage.input_token_details?.cache_read),
      reasoningTokens: optionalCount(usage.output_token_details?.reasoning),
    };
  }
  const tokenUsage = (output?.llmOutput?.tokenUsage ?? output?.llmOutput?.token_usage ?? {}) as AnyRecord;
  return {
    inputTokens: optionalCount(tokenUsage.promptTokens ?? tokenUsage.prompt_tokens),
    outputTokens: optionalCount(tokenUsage.completionTokens ?? tokenUsage.completion_tokens),
  };
}

/** LangChain hands tool input over as text, JSON for structured input: recorded as the value. */
function parsedInput(input: string): unknown {
  if (typeof input !== "string" || !input.startsWith("{")) return input;
  try {
    return JSON.parse(input) as unknown;
  } catch {
    return input;
  }
}

function responseTextOf(output: AnyRecord): string {
  const first = output?.generations?.[0]?.[0] as AnyRecord | undefined;
  if (!first) return "";
  if (typeof first.text === "string" && first.text) return first.text;
  return textOf(first.message?.content);
}

/**
 * Records LangChain.js runs on the Vigil execution current when each run starts: LLM and chat model
 * runs as `llm_call` events (model, system prompt, last user message, response, tokens), tool runs
 * as `tool_call` events, and the outermost chain's error as the execution's `exception` event.
 * Pass it in `callbacks` inside a `wrap`ped function. `raiseError` is set so that a VigilHalt thrown
 * at a call point (before an LLM or tool run) stops the chain; the handler throws nothing else.
 */
export class VigilCallbackHandler {
  readonly name = "vigil";
  readonly awaitHandlers = true;
  readonly raiseError = true;
  private readonly llmRuns = new Map<string, LlmRun>();
  private readonly toolRuns = new Map<string, ToolRun>();

  copy(): this {
    return this;
  }

  private startLlm(runId: string, run: Omit<LlmRun, "exec" | "started">): void {
    const exec = currentExecution();
    if (!exec) return;
    raiseIfHalted(exec, true);
    this.llmRuns.set(runId, { exec, started: performance.now(), ...run });
  }

  handleLLMStart(llm: AnyRecord, prompts: string[], runId: string, _parent?: string, extraParams?: AnyRecord, _tags?: string[], metadata?: AnyRecord): void {
    const userMessage = prompts.length > 0 ? prompts[prompts.length - 1] : undefined;
    this.startLlm(runId, { model: modelName(llm, extraParams, metadata), systemPrompt: undefined, userMessage });
  }

  handleChatModelStart(llm: AnyRecord, messages: AnyRecord[][], runId: string, _parent?: string, extraParams?: AnyRecord, _tags?: string[], metadata?: AnyRecord): void {
    const batch = messages[0] ?? [];
    const system = batch.filter((m) => kindOf(m) === "system").map((m) => textOf(m.content));
    const users = batch.filter((m) => ["human", "user"].includes(kindOf(m))).map((m) => textOf(m.content));
    this.startLlm(runId, {
      model: modelName(llm, extraParams, metadata),
      systemPrompt: system.length > 0 ? system.join("\n") : undefined,
      userMessage: users.length > 0 ? users[users.length - 1] : undefined,
    });
  }

  handleLLMEnd(output: AnyRecord, runId: string): void {
    const run = this.llmRuns.get(runId);
    if (!run) return;
    this.llmRuns.delete(runId);
    const model = run.model ?? output?.llmOutput?.model_name ?? output?.llmOutput?.modelName;
    recordLlmCall(run.exec, {
      model, systemPrompt: run.systemPrompt, userMessage: run.userMessage, responseText: responseTextOf(output),
      durationMs: Math.round(performance.now() - run.started), ...usageOf(output),
    });
    raiseIfHalted(run.exec);
  }

  handleLLMError(err: unknown, runId: string): void {
    const run = this.llmRuns.get(runId);
    if (!run) return;
    this.llmRuns.delete(runId);
    recordLlmCall(run.exec, {
      model: run.model, systemPrompt: run.systemPrompt, userMessage: run.userMessage, error: err,
      durationMs: Math.round(performance.now() - run.started),
    });
  }

  handleToolStart(tool: AnyRecord, input: string, runId: string, _parent?: string, _tags?: string[], _metadata?: AnyRecord, runName?: string): void {
    const exec = currentExecution();
    if (!exec) return;
    raiseIfHalted(exec);
    const name = String(runName ?? tool?.name ?? tool?.id?.[tool.id.length - 1] ?? "tool");
    this.toolRuns.set(runId, { exec, name, input: parsedInput(input), started: performance.now() });
  }

  handleToolEnd(output: unknown, runId: string): void {
    const run = this.toolRuns.get(runId);
    if (!run) return;
    this.toolRuns.delete(runId);
    const content = output && typeof output === "object" && "content" in output ? (output as AnyRecord).content : output;
    recordToolCall(run.exec, run.name, [run.input], {}, run.started, { ok: true, value: content });
  }

  handleToolError(err: unknown, runId: string): void {
    const run = this.toolRuns.get(runId);
    if (!run) return;
    this.toolRuns.delete(runId);
    recordToolCall(run.exec, run.name, [run.input], {}, run.started, { ok: false, error: err });
  }

  handleChainError(err: unknown, _runId: string, parentRunId?: string): void {
    const exec = currentExecution();
    if (exec && parentRunId === undefined && !(err instanceof VigilHalt)) recordCause(exec, err);
  }
}

/** The name the Mesedi SDK uses for its LangChain handler. */
export const MesediCallbackHandler = VigilCallbackHandler;
