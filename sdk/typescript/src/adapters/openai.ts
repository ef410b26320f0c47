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
 * latency, or the error of a failed call). Streams (`stream: true`) are recorded once iterated to
 * the end; chat completion streams report tokens only with `stream_options: { include_usage: true }`.
 */
import {
  lastUserMessage,
  modelName,
  num,
  optionalCount,
  patchMethod,
  requestDigest,
  systemMessages,
  textOf,
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
    const content = r.choices?.[0]?.message?.content;
    return {
      model: modelName(r.model),
      responseText: typeof content === "string" ? content : content == null ? undefined : textOf(content),
      inputTokens: num(r.usage?.prompt_tokens),
      outputTokens: num(r.usage?.completion_tokens),
      // Parts of those totals (docs/protocol.md#cached-and-reasoning-tokens).
      cachedInputTokens: optionalCount(r.usage?.prompt_tokens_details?.cached_tokens),
      reasoningTokens: optionalCount(r.usage?.completion_tokens_details?.reasoning_tokens),
    };
  },
  addChunk: (totals, chunk) => {
    if (typeof chunk.model === "string") totals.model = chunk.model;
    const delta = chunk.choices?.[0]?.delta?.content;
    if (typeof delta === "string") totals.text += delta;
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
  response: (r) => ({ model: modelName(r.model), responseText: responsesText(r), ...responsesUsage(r.usage) }),
  addChunk: (totals, ev) => {
    if (ev.type === "response.output_text.delta" && typeof ev.delta === "string") totals.text += ev.delta;
    else if (ev.type === "response.completed" && ev.response) {
      if (typeof ev.response.model === "string") totals.model = ev.response.model;
      const u = responsesUsage(ev.response.usage);
      totals.tokensIn = u.inputTokens;
      totals.tokensOut = u.outputTokens;
      totals.tokensCached = u.cachedInputTokens;
      totals.tokensReasoning = u.reasoningTokens;
      if (!totals.text) totals.text = responsesText(ev.response) ?? "";
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
