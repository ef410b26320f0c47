/**
 * Optional adapter for the OpenAI client (`openai`), imported as `vigil-sdk/openai`. It does not
 * import the client: it patches the instance you pass.
 *
 *     import OpenAI from "openai";
 *     import { instrumentOpenAI } from "vigil-sdk/openai";
 *     const client = instrumentOpenAI(new OpenAI());
 *
 * Every `client.chat.completions.create(...)` made inside a wrapped execution then records an
 * `llm_call` (model, system/developer prompt, last user message, response text, prompt/completion
 * tokens, latency, or the error of a failed call). Streams (`stream: true`) are recorded once
 * iterated to the end; their tokens need `stream_options: { include_usage: true }`.
 */
import {
  lastUserMessage,
  modelName,
  num,
  optionalCount,
  patchMethod,
  requestDigest,
  textOf,
  type AnyRecord,
  type LlmCallShape,
} from "./common.js";

/** The part of an OpenAI client the adapter uses. */
export interface OpenAILike {
  chat: { completions: { create: (...args: never[]) => unknown } };
}

function systemPrompt(messages: unknown): string {
  if (!Array.isArray(messages)) return "";
  return messages
    .filter((m: AnyRecord) => m && (m.role === "system" || m.role === "developer"))
    .map((m: AnyRecord) => textOf(m.content))
    .join("\n");
}

const shape: LlmCallShape = {
  request: (p) => ({
    model: modelName(p.model),
    systemPrompt: systemPrompt(p.messages),
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

/** Instruments `client.chat.completions.create` in place (idempotent) and returns the client. */
export function instrumentOpenAI<T extends OpenAILike>(client: T): T {
  patchMethod((client as unknown as AnyRecord)?.chat?.completions, "create", shape, "instrumentOpenAI");
  return client;
}
