/**
 * Optional integration for the OpenAI Agents SDK for JavaScript (npm `@openai/agents`), imported
 * as `vigil-sdk/openai-agents`. It is a tracing processor: it does not import the Agents SDK, which
 * is not a dependency of this package.
 *
 *     import { addTraceProcessor, run } from "@openai/agents";
 *     import { VigilTracingProcessor } from "vigil-sdk/openai-agents";
 *     addTraceProcessor(new VigilTracingProcessor());
 *     const answer = wrap(async (q) => (await run(agent, q, { signal: currentSignal() })).finalOutput);
 *
 * Spans of runs made inside a wrapped execution become its events: each model call (generation and
 * response spans) an `llm_call` with model, instructions, last user message, response text and
 * tokens with their cached and reasoning parts; each function tool call a `tool_call`; each
 * agent's start and each handoff a `checkpoint`; each guardrail a `validator_result`. Model data
 * is in the spans only while the Agents SDK includes sensitive data in traces (its default).
 * Tracing processors cannot stop a run: a halt (budget, remote) aborts `currentSignal()`, so pass
 * that signal to `run`.
 */
import { recordLlmCall, recordToolCall, type LlmCall } from "../api.js";
import { currentExecution, dueHalt, recordEvent, type Execution } from "../execution.js";
import { toJsonSafe, truncate } from "../summary.js";
import { lastUserMessage, num, optionalCount, systemMessages, textOf, type AnyRecord } from "./common.js";

// Spans still open, each with the execution it belongs to; a run that never ends its spans (a
// crashed process is the only known case) must not grow this without bound.
const MAX_OPEN_SPANS = 10_000;

/** A span as the Agents SDK hands it to processors, as far as it is read here. */
interface SpanLike {
  spanId: string;
  traceId: string;
  spanData: AnyRecord;
  error: { message: string; data?: AnyRecord } | null;
}

interface TraceLike {
  traceId: string;
}

type Usage = Pick<LlmCall, "inputTokens" | "outputTokens" | "cachedInputTokens" | "reasoningTokens">;

/** Usage in the Responses API's names (`input_tokens`, `*_details`) or Chat Completions' (`prompt_tokens`). */
function usageOf(u: AnyRecord | undefined): Usage {
  if (!u || typeof u !== "object") return {};
  if (u.prompt_tokens !== undefined || u.completion_tokens !== undefined) {
    return {
      inputTokens: num(u.prompt_tokens),
      outputTokens: num(u.completion_tokens),
      cachedInputTokens: optionalCount(u.prompt_tokens_details?.cached_tokens),
      reasoningTokens: optionalCount(u.completion_tokens_details?.reasoning_tokens),
    };
  }
  return {
    inputTokens: num(u.input_tokens),
    outputTokens: num(u.output_tokens),
    cachedInputTokens: optionalCount(u.input_tokens_details?.cached_tokens ?? u.details?.cached_tokens),
    reasoningTokens: optionalCount(u.output_tokens_details?.reasoning_tokens ?? u.details?.reasoning_tokens),
  };
}

/** A Chat Completions model call (generation span): the request messages and the raw completion. */
function generationCall(data: AnyRecord): LlmCall {
  const completion = (Array.isArray(data.output) ? data.output[0] : undefined) as AnyRecord | undefined;
  const content = completion?.choices?.[0]?.message?.content;
  return {
    model: typeof completion?.model === "string" ? completion.model : data.model,
    systemPrompt: systemMessages(data.input),
    userMessage: lastUserMessage(data.input),
    responseText: typeof content === "string" ? content : content == null ? undefined : textOf(content),
    ...usageOf(data.usage ?? completion?.usage),
  };
}

/** A Responses API model call (response span): the request input and the response. */
function responseCall(data: AnyRecord): LlmCall {
  const r = (data._response ?? {}) as AnyRecord;
  const input = data._input;
  const text =
    typeof r.output_text === "string"
      ? r.output_text
      : Array.isArray(r.output)
        ? r.output.filter((o: AnyRecord) => o?.type === "message").map((o: AnyRecord) => textOf(o.content)).join("")
        : undefined;
  return {
    model: typeof r.model === "string" ? r.model : undefined,
    systemPrompt: textOf(r.instructions),
    userMessage: typeof input === "string" ? input : lastUserMessage(input),
    responseText: text,
    ...usageOf(r.usage),
  };
}

function parsedArguments(input: unknown): unknown {
  if (typeof input !== "string" || !input) return input;
  try {
    return JSON.parse(input) as unknown;
  } catch {
    return input;
  }
}

/** An error as a tool call records it: the span's error message under the Agents SDK's name. */
function spanError(error: { message: string; data?: AnyRecord }): Error {
  const detail = error.data?.error;
  const e = new Error(typeof detail === "string" && detail ? detail : error.message);
  e.name = "ToolCallError";
  return e;
}

/**
 * A tracing processor (`TracingProcessor` of `@openai/agents`) recording the spans of runs made
 * inside a wrapped execution on that execution. Register it with `addTraceProcessor` (beside the
 * default exporter) or `setTraceProcessors` (instead of it).
 */
export class VigilTracingProcessor {
  private readonly traces = new Map<string, Execution>();
  /** Open spans: their execution, start, and whether a halt was due when a model call began. */
  private readonly open = new Map<string, { exec: Execution; started: number; refused: boolean }>();

  /** The execution a span belongs to: the one current where it runs, else its trace's. */
  private executionOf(traceId: string): Execution | undefined {
    const exec = currentExecution() ?? this.traces.get(traceId);
    return exec && !exec.ended ? exec : undefined;
  }

  async onTraceStart(trace: TraceLike): Promise<void> {
    const exec = currentExecution();
    if (exec && this.traces.size < MAX_OPEN_SPANS) this.traces.set(trace.traceId, exec);
  }

  async onTraceEnd(trace: TraceLike): Promise<void> {
    this.traces.delete(trace.traceId);
  }

  async onSpanStart(span: SpanLike): Promise<void> {
    try {
      const exec = this.executionOf(span.traceId);
      if (!exec || this.open.size >= MAX_OPEN_SPANS) return;
      const data = span.spanData ?? {};
      // A call point: a due halt (budget, remote) aborts the execution's signal; before a model
      // call that includes a step budget with no room for it.
      const modelCall = data.type === "generation" || data.type === "response";
      const refused = (modelCall || data.type === "function") && dueHalt(exec, modelCall) !== undefined;
      this.open.set(span.spanId, { exec, started: performance.now(), refused: refused && modelCall });
      if (data.type === "agent") {
        recordEvent(exec, "checkpoint", {
          name: "agent_start",
          metadata: toJsonSafe({ agent: data.name, tools: data.tools ?? [], handoffs: data.handoffs ?? [] }),
        });
      }
    } catch {
      // telemetry must never break the agent
    }
  }

  async onSpanEnd(span: SpanLike): Promise<void> {
    const entry = this.open.get(span.spanId);
    if (!entry) return;
    this.open.delete(span.spanId);
    // A model call the halt aborted (the run's signal) was never made.
    if (entry.refused && span.error) return;
    try {
      this.record(entry.exec, span, entry.started);
    } catch {
      // telemetry must never break the agent
    }
  }

  private record(exec: Execution, span: SpanLike, started: number): void {
    const data = span.spanData ?? {};
    const durationMs = performance.now() - started;
    if (data.type === "generation" || data.type === "response") {
      const call = data.type === "generation" ? generationCall(data) : responseCall(data);
      const failed = span.error ? { error: spanError(span.error) } : {};
      recordLlmCall(exec, { ...call, ...failed, durationMs });
      dueHalt(exec);
    } else if (data.type === "function") {
      const outcome = span.error
        ? { ok: false as const, error: spanError(span.error) }
        : { ok: true as const, value: data.output };
      recordToolCall(exec, String(data.name ?? "tool"), [parsedArguments(data.input)], {}, started, outcome);
    } else if (data.type === "handoff") {
      recordEvent(exec, "checkpoint", {
        name: "handoff",
        metadata: toJsonSafe({ from_agent: data.from_agent, to_agent: data.to_agent }),
      });
    } else if (data.type === "guardrail") {
      const payload: Record<string, unknown> = { name: truncate(String(data.name ?? "guardrail")), passed: data.triggered !== true };
      if (data.triggered === true) payload.message = "tripwire triggered";
      recordEvent(exec, "validator_result", payload, Math.round(durationMs));
    }
  }

  async shutdown(): Promise<void> {
    this.open.clear();
    this.traces.clear();
  }

  async forceFlush(): Promise<void> {
    // Events go out through the SDK's own shipper; `flush()` waits for it.
  }
}
