#include "server/otlp/messages.h"

#include <simdjson.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "detectors/unicode.h"
#include "domain/hash.h"
#include "server/codec/json_writer.h"
#include "server/limits.h"
#include "server/otlp/json_parser.h"

namespace vigil::otlp {
namespace {

using simdjson::dom::element;

void AppendLine(std::string* out, std::string_view line) {
  if (line.empty()) return;
  if (!out->empty()) out->push_back('\n');
  out->append(line);
}

// The text of a content value: a string, or the text parts of a list of parts (`content` in the
// GenAI form, `text` in the Vercel and provider forms).
std::string TextOf(element content) {
  std::string_view s;
  if (content.get_string().get(s) == simdjson::SUCCESS) return std::string(s);
  simdjson::dom::array parts;
  std::string out;
  if (content.get_array().get(parts) != simdjson::SUCCESS) return out;
  for (element part : parts) {
    std::string_view type, text;
    if (part.get_string().get(text) == simdjson::SUCCESS) {
      AppendLine(&out, text);
      continue;
    }
    if (part["type"].get_string().get(type) == simdjson::SUCCESS && type != "text") continue;
    if (part["content"].get_string().get(text) == simdjson::SUCCESS ||
        part["text"].get_string().get(text) == simdjson::SUCCESS) {
      AppendLine(&out, text);
    }
  }
  return out;
}

// A JSON value as text: a string as it is, anything else minified.
std::string RawText(element value) {
  std::string_view s;
  if (value.get_string().get(s) == simdjson::SUCCESS) return std::string(s);
  return simdjson::minify(value);
}

// The tool-result parts of a content list, in each form a sender uses: the GenAI conventions'
// `tool_call_response` (`response`), the Anthropic form's `tool_result` (`content`) and the Vercel
// AI SDK's `tool-result` (`output`, its `value` when it has one, else `result`).
std::string ToolResultParts(element content) {
  std::string out;
  simdjson::dom::array parts;
  if (content.get_array().get(parts) != simdjson::SUCCESS) return out;
  for (element part : parts) {
    std::string_view type;
    element value;
    if (part["type"].get_string().get(type) != simdjson::SUCCESS) continue;
    if (type == "tool_call_response" && part["response"].get(value) == simdjson::SUCCESS) {
      AppendLine(&out, RawText(value));
    } else if (type == "tool_result" && part["content"].get(value) == simdjson::SUCCESS) {
      const std::string text = TextOf(value);
      AppendLine(&out, text.empty() ? RawText(value) : text);
    } else if (type == "tool-result" && (part["output"].get(value) == simdjson::SUCCESS ||
                                         part["result"].get(value) == simdjson::SUCCESS)) {
      element inner;
      AppendLine(&out, RawText(value["value"].get(inner) == simdjson::SUCCESS ? inner : value));
    }
  }
  return out;
}

// Tool results the input ends with: a tool-role message's text or a tool-result part adds to
// them, an assistant message (which a tool result answers) starts them again.
void TrackToolResults(std::string_view role, std::string_view text, std::string_view parts,
                      std::optional<std::string>* tool_results) {
  if (role == "assistant" || role == "model") {
    tool_results->reset();
    return;
  }
  for (std::string_view piece : {role == "tool" || role == "function" ? text : "", parts}) {
    if (piece.empty()) continue;
    if (!*tool_results) tool_results->emplace();
    if (!(*tool_results)->empty()) (*tool_results)->append("\n\n");
    (*tool_results)->append(piece);
  }
}

// One message object: its role, its text and, when `tool_parts` is given, its tool-result parts
// (from `parts` or `content`).
void MessageOf(element m, std::string_view* role, std::string* text, std::string* tool_parts) {
  *role = "";
  if (m["role"].get_string().get(*role) != simdjson::SUCCESS) *role = "";
  text->clear();
  if (tool_parts != nullptr) tool_parts->clear();
  element content;
  if (m["parts"].get(content) == simdjson::SUCCESS ||
      m["content"].get(content) == simdjson::SUCCESS) {
    *text = TextOf(content);
    if (tool_parts != nullptr) *tool_parts = ToolResultParts(content);
  }
}

// One input message, by role: a system message is the system prompt (the first one), a user
// message the user message (the last one), and the tool results the input ends with are tracked.
void InputMessage(std::string_view role, std::string text, std::string_view tool_parts,
                  LlmMessages* out) {
  TrackToolResults(role, text, tool_parts, &out->tool_results);
  if (role == "system" || role == "developer") {
    if (!out->system_prompt) out->system_prompt = std::move(text);
  } else if ((role == "user" || role == "human") && !(text.empty() && !tool_parts.empty())) {
    // A user message of tool-result blocks only (the Anthropic form) carries no user turn:
    // the user message stays the last one a person wrote.
    out->user_message = std::move(text);
  }
}

// One message of an input or output list, read into `out` (see ReadMessageList).
void ReadMessage(element m, bool output, LlmMessages* out) {
  std::string_view role;
  std::string text, tool_parts;
  MessageOf(m, &role, &text, output ? nullptr : &tool_parts);
  if (output) {
    if (role.empty() || role == "assistant" || role == "model") out->response_text = text;
    std::string_view reason;
    if (m["finish_reason"].get_string().get(reason) == simdjson::SUCCESS) {
      out->finish_reason = std::string(reason);
    }
    return;
  }
  InputMessage(role, std::move(text), tool_parts, out);
}

// Reads a JSON list of messages: the system and last user message of an input list, or the
// assistant text and finish reason of an output list. A single message object counts as a list
// of one.
void ReadMessageList(std::string_view json, bool output, LlmMessages* out) {
  element doc;
  if (OtlpParser(ParserSlot::kMessages).parse(json.data(), json.size(), true).get(doc) !=
      simdjson::SUCCESS)
    return;
  simdjson::dom::array list;
  if (doc.get_array().get(list) == simdjson::SUCCESS) {
    for (element m : list) ReadMessage(m, output, out);
    return;
  }
  std::string_view s;
  if (doc["role"].get_string().get(s) == simdjson::SUCCESS) {
    ReadMessage(doc, output, out);
    return;
  }
  // A bare object (the Vercel ai.prompt form {system, prompt, messages}) or a plain string.
  if (doc["system"].get_string().get(s) == simdjson::SUCCESS) out->system_prompt = std::string(s);
  if (doc["prompt"].get_string().get(s) == simdjson::SUCCESS) out->user_message = std::string(s);
}

// The older indexed forms: <prefix><n><role_suffix> / <prefix><n><content_suffix>, n from 0.
void ReadIndexed(const Attributes& attributes, const std::string& prefix, bool output,
                 const char* role_suffix, const char* content_suffix, LlmMessages* out) {
  for (size_t n = 0; n < limits::kMaxOtlpAttributesPerSpan; ++n) {
    const std::string base = prefix + std::to_string(n);
    const AnyValue* role = FindAttribute(attributes, base + role_suffix);
    const AnyValue* content = FindAttribute(attributes, base + content_suffix);
    // OpenInference's multi-part form: .message.contents.<m>.message_content.text (first part).
    if (content == nullptr && role_suffix == std::string_view(".message.role")) {
      content = FindAttribute(attributes, base + ".message.contents.0.message_content.text");
    }
    if (role == nullptr && content == nullptr) break;
    const std::string r = role != nullptr && !role->text.empty() ? role->text : "user";
    std::string text = content != nullptr ? content->text : "";
    if (output) {
      out->response_text = std::move(text);
      continue;
    }
    // A list of content blocks kept as its JSON text (OpenLLMetry writes the Anthropic form so):
    // its text parts are the message, its tool-result parts tool results.
    std::string tool_parts;
    element parts;
    if (!text.empty() && text.front() == '[' &&
        OtlpParser(ParserSlot::kMessages).parse(text.data(), text.size(), true).get(parts) ==
            simdjson::SUCCESS) {
      std::string blocks_text = TextOf(parts);
      tool_parts = ToolResultParts(parts);
      // A message that only looks like a list ("[1, 2]") keeps its text.
      if (!blocks_text.empty() || !tool_parts.empty()) text = std::move(blocks_text);
    }
    InputMessage(r, std::move(text), tool_parts, out);
  }
}

// The attributes an LLM span's request is made of: its messages (true), and what goes with them.
struct InputKey {
  std::string_view name;
  bool prefix;   // every key starting with `name` (the indexed forms)
  bool message;  // a message form: without one, the span's input was not captured
};
constexpr InputKey kInputKeys[] = {
    {"gen_ai.input.messages", false, true},
    {"ai.prompt.messages", false, true},
    {"ai.prompt", false, true},
    {"gen_ai.prompt.", true, true},
    {"llm.input_messages.", true, true},
    {"gen_ai.system_instructions", false, false},
    {"gen_ai.tool.definitions", false, false},
    {"ai.prompt.tools", false, false},
    {"llm.tools.", true, false},
    {"gen_ai.request.functions.", true, false},
};

const InputKey* InputKeyOf(std::string_view key) {
  for (const InputKey& k : kInputKeys) {
    if (k.prefix ? key.substr(0, k.name.size()) == k.name : key == k.name) return &k;
  }
  return nullptr;
}

// A prompt or completion event's value as a list of messages: JSON as it is, and plain text (as
// some instrumentations write `gen_ai.prompt`, "[INST]" prompts included) as one message of `role`.
AnyValue AsMessageList(const AnyValue& value, std::string_view role) {
  if (value.kind != ValueKind::kString) return value;
  simdjson::dom::parser& parser = OtlpParser(ParserSlot::kMessages);
  element doc;
  if (parser.parse(value.text.data(), value.text.size(), true).get(doc) == simdjson::SUCCESS &&
      (doc.is_array() || doc.is_object())) {
    return value;
  }
  JsonWriter w;
  w.BeginArray().BeginObject().Field("role", role).Field("content", value.text).EndObject();
  AnyValue list;
  list.kind = ValueKind::kString;
  list.text = w.EndArray().Take();
  return list;
}

// The role a per-message event of the conventions before 1.37 names (`gen_ai.<role>.message`),
// or "".
std::string_view MessageEventRole(std::string_view name) {
  static constexpr std::string_view kEvents[][2] = {{"gen_ai.system.message", "system"},
                                                    {"gen_ai.user.message", "user"},
                                                    {"gen_ai.assistant.message", "assistant"},
                                                    {"gen_ai.tool.message", "tool"}};
  for (const auto& [event, role] : kEvents) {
    if (name == event) return role;
  }
  return {};
}

// One per-message event as a message of a list: {"role", "content"[, "finish_reason"]}. Its body
// is `gen_ai.event.content` (or `content`): a JSON object with `content` (for `gen_ai.choice`, with
// `message.content` and `finish_reason`), else plain text.
void WriteEventMessage(std::string_view role, const SpanEvent& event, JsonWriter* w) {
  const AnyValue* body = FindAttribute(event.attributes, "gen_ai.event.content");
  if (body == nullptr) body = FindAttribute(event.attributes, "content");
  const std::string text = body != nullptr ? ValueText(*body).value_or("") : "";
  element doc, message, content;
  std::string_view reason;
  const bool object =
      !text.empty() && text.front() == '{' &&
      OtlpParser(ParserSlot::kMessages).parse(text.data(), text.size(), true).get(doc) ==
          simdjson::SUCCESS;
  if (object && doc["finish_reason"].get_string().get(reason) != simdjson::SUCCESS) reason = {};
  if (object && doc["message"].get(message) == simdjson::SUCCESS) doc = message;  // a choice
  w->BeginObject().Field("role", role).Key("content");
  if (!object) {
    w->String(text);
  } else if (doc["content"].get(content) == simdjson::SUCCESS) {
    w->Raw(simdjson::minify(content));
  } else {
    w->Null();
  }
  if (!reason.empty()) w->Field("finish_reason", reason);
  w->EndObject();
}

// The per-message events of `span` as a JSON list of messages: the input's
// (`gen_ai.<role>.message`) or the output's (`gen_ai.choice`). nullopt when it has none.
std::optional<std::string> MessageEventList(const Span& span, bool output) {
  JsonWriter w;
  w.BeginArray();
  bool any = false;
  for (const SpanEvent& event : span.events) {
    const std::string_view role =
        output ? (event.name == "gen_ai.choice" ? "assistant" : "") : MessageEventRole(event.name);
    if (role.empty()) continue;
    WriteEventMessage(role, event, &w);
    any = true;
  }
  if (!any) return std::nullopt;
  return w.EndArray().Take();
}

}  // namespace

std::optional<std::string> InputDigest(const Attributes& attributes, std::string_view model) {
  std::vector<const Attribute*> input;
  bool message = false;
  for (const Attribute& a : attributes) {
    const InputKey* k = InputKeyOf(a.key);
    if (k == nullptr) continue;
    input.push_back(&a);
    message = message || k->message;
  }
  if (!message) return std::nullopt;
  // In key order; of a repeated key only the last counts, as FindAttribute reads it.
  std::stable_sort(input.begin(), input.end(),
                   [](const Attribute* a, const Attribute* b) { return a->key < b->key; });
  const std::string_view nul("\0", 1);
  std::string text(model);
  for (size_t i = 0; i < input.size(); ++i) {
    if (i + 1 < input.size() && input[i + 1]->key == input[i]->key) continue;
    text.append(nul).append(input[i]->key).append(nul);
    text.append(ValueText(input[i]->value).value_or(""));
  }
  return Sha256Hex(text);
}

std::optional<std::string> ValueText(const AnyValue& v) {
  switch (v.kind) {
    case ValueKind::kInt:
      return std::to_string(v.int_value);
    case ValueKind::kDouble:
      return std::to_string(v.double_value);
    case ValueKind::kBool:
      return std::string(v.bool_value ? "true" : "false");
    case ValueKind::kEmpty:
      return std::nullopt;
    default:
      if (v.text.empty()) return std::nullopt;
      return v.text;
  }
}

std::optional<std::string> AttributeText(const Attributes& attributes, std::string_view key) {
  const AnyValue* v = FindAttribute(attributes, key);
  if (v == nullptr) return std::nullopt;
  return ValueText(*v);
}

const Attributes& MessageAttributes(const Span& span, Attributes* storage) {
  static constexpr std::string_view kTargets[] = {"gen_ai.input.messages", "gen_ai.output.messages",
                                                  "gen_ai.system_instructions"};
  // Which event attribute supplies which target. The gen_ai.content.* events' text may be plain;
  // the details event's values are JSON messages by definition.
  struct Source {
    std::string_view event, key;
    size_t target;
    bool plain;
  };
  static constexpr Source kSources[] = {
      {"gen_ai.content.prompt", "gen_ai.prompt", 0, true},
      {"gen_ai.content.completion", "gen_ai.completion", 1, true},
      {"gen_ai.client.inference.operation.details", kTargets[0], 0, false},
      {"gen_ai.client.inference.operation.details", kTargets[1], 1, false},
      {"gen_ai.client.inference.operation.details", kTargets[2], 2, false},
  };
  if (span.events.empty()) return span.attributes;
  // Decided once per span, so that the work stays linear in the events' attributes.
  bool have[3];
  for (size_t t = 0; t < 3; ++t) have[t] = FindAttribute(span.attributes, kTargets[t]) != nullptr;
  bool copied = false;
  const auto add = [&](size_t t, AnyValue value) {
    if (!copied) *storage = span.attributes;
    copied = have[t] = true;
    storage->push_back({std::string(kTargets[t]), std::move(value)});
  };
  for (const SpanEvent& event : span.events) {
    for (const Source& source : kSources) {
      if (have[source.target] || event.name != source.event) continue;
      const AnyValue* value = FindAttribute(event.attributes, source.key);
      if (value == nullptr) continue;  // the first event that carries it gives it
      add(source.target,
          source.plain ? AsMessageList(*value, source.target == 0 ? "user" : "assistant") : *value);
    }
  }
  // Else one event per message, as the conventions before 1.37 define them.
  for (size_t t = 0; t < 2; ++t) {
    if (have[t]) continue;
    if (std::optional<std::string> list = MessageEventList(span, t == 1)) {
      AnyValue value;
      value.kind = ValueKind::kString;
      value.text = std::move(*list);
      add(t, std::move(value));
    }
  }
  return copied ? *storage : span.attributes;
}

std::string CutText(std::string_view text, size_t max) { return std::string(CutUtf8(text, max)); }

LlmMessages ReadLlmMessages(const Attributes& attributes) {
  LlmMessages out;
  if (auto v = AttributeText(attributes, "gen_ai.input.messages")) {
    ReadMessageList(*v, false, &out);
  } else if (auto prompt = AttributeText(attributes, "ai.prompt.messages")) {
    ReadMessageList(*prompt, false, &out);
  } else if (auto vercel = AttributeText(attributes, "ai.prompt")) {
    ReadMessageList(*vercel, false, &out);
  }
  ReadIndexed(attributes, "gen_ai.prompt.", false, ".role", ".content", &out);
  ReadIndexed(attributes, "llm.input_messages.", false, ".message.role", ".message.content", &out);
  if (auto sys = AttributeText(attributes, "gen_ai.system_instructions")) {
    LlmMessages instructions;
    const std::string wrapped = "[{\"role\":\"system\",\"parts\":" + *sys + "}]";
    ReadMessageList(sys->front() == '[' ? wrapped : "", false, &instructions);
    out.system_prompt = instructions.system_prompt ? instructions.system_prompt : sys;
  }
  if (auto v = AttributeText(attributes, "gen_ai.output.messages")) ReadMessageList(*v, true, &out);
  ReadIndexed(attributes, "gen_ai.completion.", true, ".role", ".content", &out);
  ReadIndexed(attributes, "llm.output_messages.", true, ".message.role", ".message.content", &out);
  if (!out.response_text) out.response_text = AttributeText(attributes, "ai.response.text");
  if (!out.finish_reason) out.finish_reason = AttributeText(attributes, "ai.response.finishReason");
  for (auto* field :
       {&out.system_prompt, &out.user_message, &out.response_text, &out.tool_results}) {
    if (*field) *field = CutText(std::move(**field), limits::kMaxOtlpTextBytes);
  }
  return out;
}

}  // namespace vigil::otlp
