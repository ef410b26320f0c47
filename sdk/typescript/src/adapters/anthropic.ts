/**
 * Optional adapter for the Anthropic client (`@anthropic-ai/sdk`), imported as
 * `vigil-sdk/anthropic`. It does not import the client: it patches the instance you pass.
 *
 *     import Anthropic from "@anthropic-ai/sdk";
 *     import { instrumentAnthropic } from "vigil-sdk/anthropic";
 *     const client = instrumentAnthropic(new Anthropic());
 *
 * Every `client.messages.create(...)` made inside a wrapped execution then records an `llm_call`
 * (model, system prompt, last user message, response text, input/output tokens, latency, or the
 * error of a failed call). Streams (`stream: true`) are recorded once iterated to the end.
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

/** The part of an Anthropic client the adapter uses. */
export interface AnthropicLike {
  messages: { create: (...args: never[]) => unknown };
}

function inputTokens(usage: AnyRecord | undefined): number {
  if (!usage) return 0;
  // Cached prompt tokens are reported apart from input_tokens; all of them were sent.
  return num(usage.input_tokens) + num(usage.cache_creation_input_tokens) + num(usage.cache_read_input_tokens);
}

/** Anthropic's `system` is a parameter, not a message: it joins the digest as the first message. */
function withSystem(system: unknown, messages: unknown): unknown[] {
  const rest = Array.isArray(messages) ? messages : [];
  if (system === undefined || system === null || system === "") return rest;
  return [{ role: "system", content: system }, ...rest];
}

const shape: LlmCallShape = {
  request: (p) => ({
    model: modelName(p.model),
    systemPrompt: textOf(p.system),
    userMessage: lastUserMessage(p.messages),
    contextSha256: requestDigest(p.model, withSystem(p.system, p.messages), p.tools),
  }),
  response: (r) => ({
    model: modelName(r.model),
    responseText: Array.isArray(r.content)
      ? r.content
          .filter((b: AnyRecord) => b && b.type === "text")
          .map((b: AnyRecord) => String(b.text ?? ""))
          .join("")
      : undefined,
    inputTokens: inputTokens(r.usage),
    outputTokens: num(r.usage?.output_tokens),
    // The cache reads are the cached part of that input (docs/protocol.md#cached-and-reasoning-tokens).
    cachedInputTokens: optionalCount(r.usage?.cache_read_input_tokens),
  }),
  addChunk: (totals, ev) => {
    if (ev.type === "message_start" && ev.message) {
      if (typeof ev.message.model === "string") totals.model = ev.message.model;
      totals.tokensIn = inputTokens(ev.message.usage);
      totals.tokensOut = num(ev.message.usage?.output_tokens);
      totals.tokensCached = optionalCount(ev.message.usage?.cache_read_input_tokens);
    } else if (ev.type === "content_block_delta" && ev.delta?.type === "text_delta") {
      totals.text += String(ev.delta.text ?? "");
    } else if (ev.type === "message_delta" && ev.usage) {
      // message_delta usage is cumulative.
      if (typeof ev.usage.output_tokens === "number") totals.tokensOut = ev.usage.output_tokens;
      const i = inputTokens(ev.usage);
      if (i > 0) totals.tokensIn = i;
    }
  },
};

/** Instruments `client.messages.create` in place (idempotent) and returns the client. */
export function instrumentAnthropic<T extends AnthropicLike>(client: T): T {
  patchMethod((client as unknown as AnyRecord)?.messages, "create", shape, "instrumentAnthropic");
  return client;
}
