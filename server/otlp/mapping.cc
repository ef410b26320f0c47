#include "server/otlp/mapping.h"

#include <simdjson.h>

#include <algorithm>
#include <initializer_list>
#include <map>
#include <optional>
#include <utility>

#include "domain/hash.h"
#include "server/codec/json_writer.h"
#include "server/limits.h"
#include "server/otlp/json_parser.h"
#include "server/otlp/messages.h"
#include "server/otlp/stacktrace.h"

namespace vigil::otlp {
namespace {

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

std::string StringAttr(const Span& span, std::string_view key) {
  const AnyValue* v = FindAttribute(span.attributes, key);
  return v != nullptr && v->kind == ValueKind::kString ? v->text : "";
}

bool HasAttrWithPrefix(const Span& span, std::string_view prefix) {
  for (const Attribute& a : span.attributes) {
    if (StartsWith(a.key, prefix)) return true;
  }
  return false;
}

std::optional<SpanRole> RoleOfOpenInference(std::string_view kind) {
  if (kind == "LLM") return SpanRole::kLlmCall;
  if (kind == "TOOL") return SpanRole::kToolCall;
  if (kind == "AGENT") return SpanRole::kAgent;
  if (kind.empty()) return std::nullopt;
  return SpanRole::kOther;
}

std::optional<SpanRole> RoleOfOperation(std::string_view op) {
  if (op == "chat" || op == "text_completion" || op == "generate_content") {
    return SpanRole::kLlmCall;
  }
  if (op == "execute_tool") return SpanRole::kToolCall;
  if (op == "invoke_agent") return SpanRole::kAgent;
  if (op.empty()) return std::nullopt;
  return SpanRole::kOther;
}

// The Vercel AI SDK: the provider calls inside generateText / streamText / generateObject /
// streamObject are the LLM calls; the outer spans wrap them and are not counted again.
std::optional<SpanRole> RoleOfVercel(std::string_view op) {
  if (op.empty()) return std::nullopt;
  if (op == "ai.toolCall") return SpanRole::kToolCall;
  if (op == "ai.generateText.doGenerate" || op == "ai.streamText.doStream" ||
      op == "ai.generateObject.doGenerate" || op == "ai.streamObject.doStream") {
    return SpanRole::kLlmCall;
  }
  return SpanRole::kOther;
}

// OpenLLMetry (Traceloop) marks the framework spans around the LLM calls it instruments. Only its
// tool and agent kinds decide: its other kinds (workflow, task) may also mark spans that carry
// model attributes, which the later rules read.
std::optional<SpanRole> RoleOfTraceloop(std::string_view kind) {
  if (kind == "tool") return SpanRole::kToolCall;
  if (kind == "agent") return SpanRole::kAgent;
  return std::nullopt;
}

// An integer attribute (int, integral double, or decimal string), the first key present.
std::optional<int64_t> IntAttr(const Span& span, std::initializer_list<std::string_view> keys) {
  for (std::string_view key : keys) {
    const AnyValue* v = FindAttribute(span.attributes, key);
    if (v == nullptr) continue;
    if (v->kind == ValueKind::kInt && v->int_value >= 0) return v->int_value;
    if (v->kind == ValueKind::kDouble && v->double_value >= 0 && v->double_value < 9e15 &&
        static_cast<double>(static_cast<int64_t>(v->double_value)) == v->double_value) {
      return static_cast<int64_t>(v->double_value);
    }
    if (v->kind == ValueKind::kString && !v->text.empty() && v->text.size() < 16 &&
        v->text.find_first_not_of("0123456789") == std::string::npos) {
      return std::stoll(v->text);
    }
  }
  return std::nullopt;
}

std::optional<std::string> TextAttr(const Span& span,
                                    std::initializer_list<std::string_view> keys) {
  for (std::string_view key : keys) {
    if (auto v = AttributeText(span.attributes, key)) return v;
  }
  return std::nullopt;
}

int64_t NanosToMs(uint64_t ns) { return static_cast<int64_t>(ns / 1000000); }

// The exception a span recorded (its last `exception` event), as type, message and stack.
struct Thrown {
  std::string type;
  std::string message;
  std::string stacktrace;
  uint64_t time_unix_nano = 0;
};

std::optional<Thrown> ExceptionOf(const Span& span) {
  std::optional<Thrown> found;
  for (const SpanEvent& e : span.events) {
    if (e.name != "exception") continue;
    Thrown t;
    t.type = AttributeText(e.attributes, "exception.type").value_or("");
    t.message = AttributeText(e.attributes, "exception.message").value_or("");
    t.stacktrace = AttributeText(e.attributes, "exception.stacktrace").value_or("");
    t.time_unix_nano = e.time_unix_nano;
    found = std::move(t);
  }
  return found;
}

// A string that holds JSON goes into the payload as that JSON; anything else as a string.
void WriteJsonOrString(JsonWriter* w, const std::string& text) {
  simdjson::dom::parser& parser = OtlpParser(ParserSlot::kArguments);
  simdjson::dom::element doc;
  if (text.size() <= limits::kMaxOtlpTextBytes &&
      parser.parse(text.data(), text.size(), true).get(doc) == simdjson::SUCCESS) {
    w->Raw(simdjson::minify(doc));
  } else {
    w->String(CutText(text, limits::kMaxOtlpTextBytes));
  }
}

void OptionalField(JsonWriter* w, std::string_view key, const std::optional<std::string>& v) {
  if (v) w->Field(key, *v);
}

void OptionalInt(JsonWriter* w, std::string_view key, const std::optional<int64_t>& v) {
  if (v) w->Field(key, *v);
}

void WriteFailure(JsonWriter* w, const Span& span) {
  const bool failed = span.status == StatusCode::kError;
  w->Field("status", failed ? "failed" : "ok");
  if (!failed) return;
  const std::optional<Thrown> thrown = ExceptionOf(span);
  w->Field("exception_type", thrown && !thrown->type.empty() ? thrown->type : "Error");
  const std::string message =
      thrown && !thrown->message.empty() ? thrown->message : span.status_message;
  w->Field("exception_message", CutText(message, limits::kMaxExceptionMessageBytes));
}

std::string LlmPayload(const Span& span) {
  JsonWriter w;
  w.BeginObject();
  const std::string model =
      CutText(TextAttr(span, {"gen_ai.request.model", "gen_ai.response.model", "llm.model_name",
                              "ai.model.id", "ai.response.model"})
                  .value_or("unknown"),
              limits::kMaxNameBytes);
  w.Field("model", model);
  Attributes storage;
  const Attributes& attributes = MessageAttributes(span, &storage);
  OptionalField(&w, "context_sha256", InputDigest(attributes, model));
  OptionalInt(
      &w, "input_tokens",
      IntAttr(span, {"gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens",
                     "llm.token_count.prompt", "ai.usage.inputTokens", "ai.usage.promptTokens"}));
  OptionalInt(&w, "output_tokens",
              IntAttr(span, {"gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens",
                             "llm.token_count.completion", "ai.usage.outputTokens",
                             "ai.usage.completionTokens"}));
  OptionalInt(
      &w, "cached_input_tokens",
      IntAttr(span, {"gen_ai.usage.cache_read.input_tokens", "gen_ai.usage.cache_read_input_tokens",
                     "llm.token_count.prompt_details.cache_read",
                     "ai.usage.inputTokenDetails.cacheReadTokens", "ai.usage.cachedInputTokens"}));
  OptionalInt(
      &w, "reasoning_tokens",
      IntAttr(span, {"gen_ai.usage.reasoning.output_tokens", "gen_ai.usage.reasoning_tokens",
                     "llm.token_count.completion_details.reasoning",
                     "ai.usage.outputTokenDetails.reasoningTokens", "ai.usage.reasoningTokens"}));
  const LlmMessages m = ReadLlmMessages(attributes);
  OptionalField(&w, "system_prompt", m.system_prompt);
  OptionalField(&w, "user_message", m.user_message);
  OptionalField(&w, "tool_results_text", m.tool_results);
  OptionalField(&w, "response_text", m.response_text);
  OptionalField(&w, "finish_reason", m.finish_reason);
  WriteFailure(&w, span);
  w.Field("span_name", CutText(span.name, limits::kMaxNameBytes));
  return w.EndObject().Take();
}

std::string ToolPayload(const Span& span) {
  JsonWriter w;
  w.BeginObject();
  w.Field("tool_name", CutText(TextAttr(span, {"gen_ai.tool.name", "ai.toolCall.name", "tool.name",
                                               "traceloop.entity.name"})
                                   .value_or(span.name),
                               limits::kMaxNameBytes));
  if (auto args = TextAttr(span, {"gen_ai.tool.call.arguments", "ai.toolCall.args",
                                  "ai.toolCall.input", "input.value", "traceloop.entity.input"})) {
    w.Key("arguments");
    WriteJsonOrString(&w, *args);
  }
  WriteFailure(&w, span);
  if (auto result =
          TextAttr(span, {"gen_ai.tool.call.result", "ai.toolCall.result", "ai.toolCall.output",
                          "output.value", "traceloop.entity.output"})) {
    std::string text = CutText(std::move(*result), limits::kMaxOtlpTextBytes);
    w.Field("result_summary", CutText(text.substr(0, text.find('\n')), limits::kMaxNameBytes));
    w.Field("result_text", text);
  }
  w.Field("span_name", CutText(span.name, limits::kMaxNameBytes));
  return w.EndObject().Take();
}

std::string CheckpointPayload(const Span& span) {
  JsonWriter w;
  w.BeginObject().Field("name", CutText(span.name, limits::kMaxNameBytes));
  w.Key("metadata").BeginObject().Field("span_id", span.span_id);
  if (!span.parent_span_id.empty()) w.Field("parent_span_id", span.parent_span_id);
  w.Field("span_kind", static_cast<int64_t>(span.kind));
  if (span.status == StatusCode::kError) w.Field("status", "error");
  if (!span.status_message.empty()) {
    w.Field("status_message", CutText(span.status_message, limits::kMaxReasonBytes));
  }
  return w.EndObject().EndObject().Take();
}

}  // namespace

SpanRole ClassifySpan(const Span& span) {
  if (auto r = RoleOfOpenInference(StringAttr(span, "openinference.span.kind"))) return *r;
  if (auto r = RoleOfOperation(StringAttr(span, "gen_ai.operation.name"))) return *r;
  if (auto r = RoleOfVercel(StringAttr(span, "ai.operationId"))) return *r;
  if (auto r = RoleOfTraceloop(StringAttr(span, "traceloop.span.kind"))) return *r;
  if (HasAttrWithPrefix(span, "gen_ai.tool.")) return SpanRole::kToolCall;
  for (const char* key : {"gen_ai.request.model", "gen_ai.response.model", "llm.model_name"}) {
    if (FindAttribute(span.attributes, key) != nullptr) return SpanRole::kLlmCall;
  }
  return SpanRole::kOther;
}

std::string TraceExecutionId(std::string_view trace_id) { return "otel-" + std::string(trace_id); }

std::string SpanEventId(std::string_view trace_id, std::string_view span_id) {
  return TraceExecutionId(trace_id) + "-" + std::string(span_id);
}

namespace {

struct IndexedSpan {
  const Span* span;
  SpanRole role;
};
using SpanIndex = std::map<std::pair<std::string_view, std::string_view>, IndexedSpan>;

bool IsNestedAgent(const IndexedSpan& s) {
  return s.role == SpanRole::kAgent && !s.span->parent_span_id.empty();
}

std::string ChildExecutionId(const Span& span) {
  return TraceExecutionId(span.trace_id) + "-" + span.span_id;
}

// The execution `span`'s events belong to: that of its nearest nested-agent ancestor within the
// request, else the one `earlier` knows for the first ancestor outside it, else its trace's. The
// walk is bounded, so a cycle of parent ids cannot hang it.
// `orphan` is set when the walk stops at a parent that neither the request nor `earlier` knows.
std::string OwnerExecution(const Span& span, const SpanIndex& index, const EarlierOwner& earlier,
                           bool* orphan = nullptr) {
  const Span* current = &span;
  for (size_t steps = 0; steps <= index.size() && !current->parent_span_id.empty(); ++steps) {
    auto it = index.find({current->trace_id, current->parent_span_id});
    if (it == index.end()) {
      if (!earlier) {
        if (orphan != nullptr) *orphan = true;
        break;
      }
      std::optional<std::string> owner = earlier(current->trace_id, current->parent_span_id);
      if (owner) return std::move(*owner);
      if (orphan != nullptr) *orphan = true;
      break;
    }
    if (IsNestedAgent(it->second)) return ChildExecutionId(*it->second.span);
    current = it->second.span;
  }
  return TraceExecutionId(span.trace_id);
}

std::string WithoutControlChars(std::string s, size_t max) {
  s.erase(std::remove_if(s.begin(), s.end(),
                         [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }),
          s.end());
  return CutText(std::move(s), max);
}

bool NamesItsOperation(const Span& span) {
  return !StringAttr(span, "openinference.span.kind").empty() ||
         !StringAttr(span, "gen_ai.operation.name").empty() ||
         !StringAttr(span, "ai.operationId").empty();
}

int64_t Micros(uint64_t ns) { return static_cast<int64_t>(ns / 1000); }

MappedEvent EventOf(const Span& span, std::string execution_id, std::string type,
                    std::string payload) {
  MappedEvent e;
  e.event_id = SpanEventId(span.trace_id, span.span_id);
  e.execution_id = std::move(execution_id);
  e.event_type = std::move(type);
  e.sequence = Micros(span.start_unix_nano);
  e.timestamp_ms = NanosToMs(span.start_unix_nano);
  e.duration_ms = span.end_unix_nano > span.start_unix_nano
                      ? NanosToMs(span.end_unix_nano - span.start_unix_nano)
                      : 0;
  e.payload_json = std::move(payload);
  return e;
}

// A crashed execution's `exception` event (docs/protocol.md#exception-events) and signature.
void AddCrash(const Span& span, const std::string& execution_id, ExecutionPatch* patch,
              MappedTraces* out) {
  const std::optional<Thrown> thrown = ExceptionOf(span);
  const std::string type = WithoutControlChars(
      thrown && !thrown->type.empty() ? thrown->type : "Error", limits::kMaxExceptionTypeBytes);
  const std::string& stack = thrown ? thrown->stacktrace : span.status_message;
  patch->crash_signature = type + ":" + Sha256Hex(stack).substr(0, 8);
  if (!thrown) return;
  JsonWriter w;
  w.BeginObject().Field("exception_type", type);
  w.Field("exception_message", CutText(thrown->message, limits::kMaxExceptionMessageBytes));
  w.Key("frames").BeginArray();
  for (const StackFrame& f : ParseStacktrace(thrown->stacktrace)) {
    w.BeginObject();
    if (!f.file.empty()) w.Field("file", f.file);
    if (f.line > 0) w.Field("line", f.line);
    if (!f.function.empty()) w.Field("function", f.function);
    w.EndObject();
  }
  w.EndArray();
  w.Field("stacktrace", CutText(thrown->stacktrace, limits::kMaxOtlpStacktraceBytes));
  MappedEvent e = EventOf(span, execution_id, "exception", w.EndObject().Take());
  e.event_id += "-exception";
  const uint64_t at = thrown->time_unix_nano != 0 ? thrown->time_unix_nano : span.end_unix_nano;
  e.sequence = Micros(at);
  e.timestamp_ms = NanosToMs(at);
  e.duration_ms = 0;
  out->events.push_back(std::move(e));
}

// The execution a trace's root or a nested agent span defines, with the fields it settles.
void AddExecution(const Span& span, std::string id, std::string parent, MappedTraces* out) {
  ExecutionPatch p;
  p.execution_id = std::move(id);
  p.parent_execution_id = std::move(parent);
  p.name = WithoutControlChars(
      TextAttr(span, {"gen_ai.agent.name", "ai.telemetry.functionId"}).value_or(span.name),
      limits::kMaxExecutionNameBytes);
  p.started_at_ms = NanosToMs(span.start_unix_nano);
  p.ended_at_ms = std::max(NanosToMs(span.end_unix_nano), p.started_at_ms);
  p.duration_ms = p.ended_at_ms - p.started_at_ms;
  p.status =
      span.status == StatusCode::kError ? ExecutionStatus::kCrashed : ExecutionStatus::kCompleted;
  Attributes storage;
  const LlmMessages m = ReadLlmMessages(MessageAttributes(span, &storage));
  if (m.user_message) p.input_summary = CutText(*m.user_message, limits::kMaxReasonBytes);
  if (m.response_text) p.output_summary = CutText(*m.response_text, limits::kMaxReasonBytes);
  if (span.status == StatusCode::kError) AddCrash(span, p.execution_id, &p, out);
  out->executions.push_back(std::move(p));
}

void MapOneSpan(const IndexedSpan& s, const SpanIndex& index, const EarlierOwner& earlier,
                MappedTraces* out) {
  const Span& span = *s.span;
  const bool root = span.parent_span_id.empty();
  if (IsNestedAgent(s)) {
    out->child_owners.push_back({span.trace_id, span.span_id, ChildExecutionId(span)});
    return AddExecution(span, ChildExecutionId(span), OwnerExecution(span, index, earlier), out);
  }
  bool orphan = false;
  const std::string owner = OwnerExecution(span, index, earlier, &orphan);
  if (owner != TraceExecutionId(span.trace_id)) {
    out->child_owners.push_back({span.trace_id, span.span_id, owner});
  } else if (orphan && !root) {
    out->orphans.push_back(
        {span.trace_id, span.span_id, span.parent_span_id, Micros(span.start_unix_nano)});
  }
  if (root) AddExecution(span, owner, "", out);
  // A root span classified only by its model or tool attributes is an agent's run carrying the
  // sums of its calls (several frameworks put them there): its calls are its children, so it is
  // not counted again. A root named a call by its operation is a one-span trace of that call.
  if (root && !NamesItsOperation(span)) return;
  if (s.role == SpanRole::kLlmCall) {
    out->events.push_back(EventOf(span, owner, "llm_call", LlmPayload(span)));
  } else if (s.role == SpanRole::kToolCall) {
    out->events.push_back(EventOf(span, owner, "tool_call", ToolPayload(span)));
  } else if (!root) {
    out->events.push_back(EventOf(span, owner, "checkpoint", CheckpointPayload(span)));
  }
}

}  // namespace

MappedTraces MapSpans(const std::vector<Span>& spans, const EarlierOwner& earlier) {
  std::vector<IndexedSpan> order;
  order.reserve(spans.size());
  SpanIndex index;
  for (const Span& span : spans) {
    const IndexedSpan s{&span, ClassifySpan(span)};
    if (index
            .emplace(
                std::make_pair(std::string_view(span.trace_id), std::string_view(span.span_id)), s)
            .second) {
      order.push_back(s);
    }
  }
  std::sort(order.begin(), order.end(), [](const IndexedSpan& a, const IndexedSpan& b) {
    if (a.span->start_unix_nano != b.span->start_unix_nano) {
      return a.span->start_unix_nano < b.span->start_unix_nano;
    }
    return a.span->span_id < b.span->span_id;
  });
  MappedTraces out;
  for (const IndexedSpan& s : order) MapOneSpan(s, index, earlier, &out);
  std::stable_sort(
      out.events.begin(), out.events.end(),
      [](const MappedEvent& a, const MappedEvent& b) { return a.sequence < b.sequence; });
  return out;
}

}  // namespace vigil::otlp
