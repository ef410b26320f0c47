/**
 * Optional adapter for the OpenAI client (`openai`), imported as `vigil-sdk/openai`. It does not
 * import the client: it patches the instance you pass.
 *
 *     import OpenAI from "openai";
 *     import { instrumentOpenAI } from "vigil-sdk/openai";
 *     const client = instrumentOpenAI(new OpenAI());
 *
 * Every `client.chat.completions.create(...)` and `client.responses.create(...)` made inside a
 * wrapped execution then records an `llm_call` (model, system/developer prompt or instructions,
 * last user message, response text, input/output tokens with their cached and reasoning parts,
 * latency, or the error of a failed call), and the tool calls the model asked for. Streams
 * (`stream: true`, and the `stream()` helpers, which call `create`) pass every chunk unchanged and
 * are recorded when iterated to the end, left early (what arrived so far) or failing; chat
 * completion streams report tokens only with `stream_options: { include_usage: true }`, which is
 * not added: without it they are recorded with 0 tokens.
 */
import {
  addToolFragment,
  lastUserMessage,
  modelName,
  num,
  optionalCount,
  patchMethod,
  ProviderError,
  requestDigest,
  systemMessages,
  textOf,
  toolCallOf,
  type AnyRecord,
  type LlmCallShape,
} from "./common.js";

/** The part of an OpenAI client the adapter uses. */
export interface OpenAILike {
  chat: { completions: { create: (...args: never[]) => unknown } };
  responses?: { create: (...args: never[]) => unknown };
}

const shape: LlmCallShape = {
  request: (p) => ({
    model: modelName(p.model),
    systemPrompt: systemMessages(p.messages),
    userMessage: lastUserMessage(p.messages),
    // The whole request: system/developer and tool messages are in `messages` already.
    contextSha256: requestDigest(p.model, p.messages, p.tools),
  }),
  response: (r) => {
    const message = r.choices?.[0]?.message;
    const content = message?.content;
    const calls: AnyRecord[] = Array.isArray(message?.tool_calls) ? message.tool_calls : [];
    return {
      model: modelName(r.model),
      responseText: typeof content === "string" ? content : content == null ? undefined : textOf(content),
      inputTokens: num(r.usage?.prompt_tokens),
      outputTokens: num(r.usage?.completion_tokens),
      // Parts of those totals (docs/protocol.md#cached-and-reasoning-tokens).
      cachedInputTokens: optionalCount(r.usage?.prompt_tokens_details?.cached_tokens),
      reasoningTokens: optionalCount(r.usage?.completion_tokens_details?.reasoning_tokens),
      toolCalls: calls.map((c) => toolCallOf(c?.id, c?.function?.name, c?.function?.arguments)),
    };
  },
  addChunk: (totals, chunk) => {
    if (typeof chunk.model === "string") totals.model = chunk.model;
    // The first choice is the one recorded, as for a complete answer.
    const delta = (chunk.choices ?? []).find((c: AnyRecord) => (c?.index ?? 0) === 0)?.delta;
    if (typeof delta?.content === "string") totals.text += delta.content;
    for (const call of Array.isArray(delta?.tool_calls) ? delta.tool_calls : []) {
      addToolFragment(totals, call?.index ?? 0, call?.id, call?.function?.name, call?.function?.arguments);
    }
    if (chunk.usage) {
      totals.tokensIn = num(chunk.usage.prompt_tokens);
      totals.tokensOut = num(chunk.usage.completion_tokens);
      totals.tokensCached = optionalCount(chunk.usage.prompt_tokens_details?.cached_tokens);
      totals.tokensReasoning = optionalCount(chunk.usage.completion_tokens_details?.reasoning_tokens);
    }
  },
};

/** The Responses API's input as chat messages: a string is one user message. */
function responsesMessages(instructions: unknown, input: unknown): unknown[] {
  const items = typeof input === "string" ? [{ role: "user", content: input }] : Array.isArray(input) ? input : [];
  if (instructions === undefined || instructions === null || instructions === "") return items;
  return [{ role: "system", content: instructions }, ...items];
}

/** The text of a Responses API answer: `output_text` when the client added it, else the output's text parts. */
function responsesText(r: AnyRecord): string | undefined {
  if (typeof r.output_text === "string") return r.output_text;
  if (!Array.isArray(r.output)) return undefined;
  return r.output
    .filter((item: AnyRecord) => item && item.type === "message")
    .map((item: AnyRecord) => textOf(item.content))
    .join("");
}

/** The function calls of a Responses API answer's output. */
function functionCalls(output: unknown) {
  if (!Array.isArray(output)) return [];
  return output
    .filter((item: AnyRecord) => item && item.type === "function_call")
    .map((item: AnyRecord) => toolCallOf(item.call_id, item.name, item.arguments));
}

function responsesUsage(usage: AnyRecord | undefined) {
  return {
    inputTokens: num(usage?.input_tokens),
    outputTokens: num(usage?.output_tokens),
    cachedInputTokens: optionalCount(usage?.input_tokens_details?.cached_tokens),
    reasoningTokens: optionalCount(usage?.output_tokens_details?.reasoning_tokens),
  };
}

const responsesShape: LlmCallShape = {
  request: (p) => ({
    model: modelName(p.model),
    systemPrompt: textOf(p.instructions),
    userMessage: typeof p.input === "string" ? p.input : lastUserMessage(p.input),
    contextSha256: requestDigest(p.model, responsesMessages(p.instructions, p.input), p.tools),
  }),
  response: (r) => ({
    model: modelName(r.model),
    responseText: responsesText(r),
    ...responsesUsage(r.usage),
    toolCalls: functionCalls(r.output),
  }),
  addChunk: (totals, ev) => {
    if (ev.type === "response.output_text.delta" && typeof ev.delta === "string") totals.text += ev.delta;
    else if (ev.type === "response.output_item.added" && ev.item?.type === "function_call") {
      addToolFragment(totals, ev.output_index, ev.item.call_id, ev.item.name, ev.item.arguments);
    } else if (ev.type === "response.function_call_arguments.delta") {
      addToolFragment(totals, ev.output_index, undefined, undefined, ev.delta);
    } else if (ev.type === "response.failed") {
      totals.failure = new ProviderError(String(ev.response?.error?.message ?? "response failed"));
    }
    if ((ev.type === "response.completed" || ev.type === "response.failed") && ev.response) {
      if (typeof ev.response.model === "string") totals.model = ev.response.model;
      const u = responsesUsage(ev.response.usage);
      totals.tokensIn = u.inputTokens;
      totals.tokensOut = u.outputTokens;
      totals.tokensCached = u.cachedInputTokens;
      totals.tokensReasoning = u.reasoningTokens;
      if (!totals.text) totals.text = responsesText(ev.response) ?? "";
      // The completed answer holds the calls whole, should their deltas not have been seen.
      if (totals.tools.size === 0) functionCalls(ev.response.output).forEach((c, i) => totals.tools.set(i, c));
    }
  },
};

/**
 * Instruments `client.chat.completions.create` and, when the client has it,
 * `client.responses.create` in place (idempotent) and returns the client.
 */
export function instrumentOpenAI<T extends OpenAILike>(client: T): T {
  const c = client as unknown as AnyRecord;
  patchMethod(c?.chat?.completions, "create", shape, "instrumentOpenAI");
  if (typeof c?.responses?.create === "function") patchMethod(c.responses, "create", responsesShape, "instrumentOpenAI");
  return client;
}
