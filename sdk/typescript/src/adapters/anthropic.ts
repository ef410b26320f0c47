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
 * error of a failed call), and the tool calls the model asked for. Streams (`stream: true`, and
 * `messages.stream()`, whose MessageStream calls `create`) pass every event unchanged and are
 * recorded when iterated to the end, left early (what arrived so far) or failing.
 *
 * The Mesedi SDK's forms work too: `await instrumentAnthropic()` instruments every client of the
 * installed `@anthropic-ai/sdk` (its `Messages` class), `instrumentAnthropic(Messages)` every
 * instance of a given class.
 */
import {
  addToolFragment,
  lastUserMessage,
  modelName,
  num,
  optionalCount,
  patchMethod,
  requestDigest,
  textOf,
  toolCallOf,
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
    toolCalls: Array.isArray(r.content)
      ? r.content.filter((b: AnyRecord) => b && b.type === "tool_use").map((b: AnyRecord) => toolCallOf(b.id, b.name, b.input))
      : [],
  }),
  addChunk: (totals, ev) => {
    if (ev.type === "message_start" && ev.message) {
      if (typeof ev.message.model === "string") totals.model = ev.message.model;
      totals.tokensIn = inputTokens(ev.message.usage);
      totals.tokensOut = num(ev.message.usage?.output_tokens);
      totals.tokensCached = optionalCount(ev.message.usage?.cache_read_input_tokens);
    } else if (ev.type === "content_block_start" && ev.content_block?.type === "tool_use") {
      addToolFragment(totals, ev.index, ev.content_block.id, ev.content_block.name);
    } else if (ev.type === "content_block_delta" && ev.delta?.type === "text_delta") {
      totals.text += String(ev.delta.text ?? "");
    } else if (ev.type === "content_block_delta" && ev.delta?.type === "input_json_delta") {
      addToolFragment(totals, ev.index, undefined, undefined, ev.delta.partial_json);
    } else if (ev.type === "message_delta" && ev.usage) {
      // message_delta usage is cumulative.
      if (typeof ev.usage.output_tokens === "number") totals.tokensOut = ev.usage.output_tokens;
      const i = inputTokens(ev.usage);
      if (i > 0) totals.tokensIn = i;
    }
  },
};

/** A class whose instances have `create` (the client's `Messages`). */
export interface MessagesClassLike {
  prototype: { create: (...args: never[]) => unknown };
}

/** The `Messages` class of the installed `@anthropic-ai/sdk` (its ES module, the one `import` gives). */
async function installedMessagesClass(): Promise<MessagesClassLike> {
  const name = "@anthropic-ai/sdk"; // a variable: the client is not a dependency of this package
  let sdk: AnyRecord;
  try {
    sdk = (await import(name)) as AnyRecord;
  } catch {
    throw new TypeError("instrumentAnthropic(): @anthropic-ai/sdk is not installed; pass a client instead");
  }
  const messages = sdk.default?.Messages ?? sdk.Messages;
  if (typeof messages !== "function") throw new TypeError("instrumentAnthropic(): @anthropic-ai/sdk has no Messages class");
  return messages as MessagesClassLike;
}

function patchClass(cls: MessagesClassLike): void {
  patchMethod((cls as AnyRecord).prototype, "create", shape, "instrumentAnthropic");
}

/**
 * Instruments `create` in place (idempotent): of a client's `messages` (the client is returned),
 * of every instance of a `Messages` class, or, without an argument, of the installed
 * `@anthropic-ai/sdk`'s `Messages` class (resolved asynchronously: await the promise before the
 * first call).
 */
export function instrumentAnthropic<T extends AnthropicLike>(client: T): T;
export function instrumentAnthropic(messagesClass: MessagesClassLike): void;
export function instrumentAnthropic(): Promise<void>;
export function instrumentAnthropic<T extends AnthropicLike>(target?: T | MessagesClassLike): T | void | Promise<void> {
  if (target === undefined) return installedMessagesClass().then(patchClass);
  if (typeof target === "function") return patchClass(target);
  patchMethod((target as unknown as AnyRecord)?.messages, "create", shape, "instrumentAnthropic");
  return target as T;
}
