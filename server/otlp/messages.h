// The prompt and response of an LLM span, read from whichever attribute forms the sender used
// (docs/otlp.md#messages): the GenAI conventions' JSON messages, their older indexed
// gen_ai.prompt.N / gen_ai.completion.N form, OpenInference's llm.input_messages.N, and the Vercel
// AI SDK's ai.prompt.* / ai.response.*. Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "server/otlp/span.h"

namespace vigil::otlp {

struct LlmMessages {
  std::optional<std::string> system_prompt;
  std::optional<std::string> user_message;  // the last user message
  // The tool results the input ends with: the text of the tool-role messages (and of tool-result
  // parts) after the last assistant message, a blank line between two.
  std::optional<std::string> tool_results;
  std::optional<std::string> response_text;
  std::optional<std::string> finish_reason;
};

LlmMessages ReadLlmMessages(const Attributes& attributes);

// The span's attributes, with the messages its content events carry added as the attributes
// ReadLlmMessages reads, when the span records none of its own: the GenAI conventions' older
// `gen_ai.content.prompt` / `gen_ai.content.completion` events (`gen_ai.prompt`,
// `gen_ai.completion`), `gen_ai.client.inference.operation.details` recorded as a span event, and
// else one event per message (`gen_ai.<role>.message` and `gen_ai.choice`, each with its
// `gen_ai.event.content`), in event order.
// The first event that carries a message attribute gives it. Returns `span.attributes` itself
// when there is nothing to add, else `*storage`, filled.
const Attributes& MessageAttributes(const Span& span, Attributes* storage);

// The identity of the request an LLM span records, for the loop detectors: SHA-256 (64 lower-case
// hex digits) of `model` and of every input attribute as exported (the messages in each form
// ReadLlmMessages reads, the system instructions and the tool definitions), keys in order. Equal
// inputs give equal digests; it is not the RFC 8785 digest an SDK computes of the same request
// (docs/otlp.md#messages). nullopt when the span carries no input message, so that calls whose
// content was not captured are never taken for repeats of each other.
std::optional<std::string> InputDigest(const Attributes& attributes, std::string_view model);

// An attribute value as text: a string as it is, anything else as its JSON (numbers, arrays,
// key-value lists). nullopt when empty.
std::optional<std::string> ValueText(const AnyValue& value);
// The value of the attribute named `key` as ValueText; nullopt when absent or empty.
std::optional<std::string> AttributeText(const Attributes& attributes, std::string_view key);

// `text` cut to at most `max` bytes at a UTF-8 character boundary (CutUtf8 of
// detectors/unicode.h, as an owned string).
std::string CutText(std::string_view text, size_t max);

}  // namespace vigil::otlp
