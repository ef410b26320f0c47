#include "server/codec/cause_codec.h"

#include "detectors/unicode.h"
#include "server/limits.h"

namespace vigil {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

// The string member `key` of `obj` cut to `max_bytes`, or "" when absent or not a string.
std::string TextMember(simdjson::dom::object obj, std::string_view key, size_t max_bytes) {
  std::string_view s;
  if (obj.at_key(key).get_string().get(s) != simdjson::SUCCESS) return std::string();
  return std::string(CutUtf8(s, max_bytes));
}

StackFrame FrameOf(simdjson::dom::object obj) {
  StackFrame frame;
  frame.file = TextMember(obj, "file", limits::kMaxFrameFieldBytes);
  frame.function = TextMember(obj, "function", limits::kMaxFrameFieldBytes);
  element line;
  int64_t n = 0;
  if (obj.at_key("line").get(line) == simdjson::SUCCESS &&
      (line.type() == element_type::INT64 || line.type() == element_type::UINT64) &&
      line.get_int64().get(n) == simdjson::SUCCESS && n > 0) {
    frame.line = n;
  }
  return frame;
}

}  // namespace

std::optional<ExceptionCause> ReadExceptionCause(element payload) {
  simdjson::dom::object obj;
  if (payload.get_object().get(obj) != simdjson::SUCCESS) return std::nullopt;
  ExceptionCause cause;
  cause.type = TextMember(obj, "exception_type", limits::kMaxExceptionTypeBytes);
  if (cause.type.empty()) return std::nullopt;
  cause.message = TextMember(obj, "exception_message", limits::kMaxExceptionMessageBytes);
  simdjson::dom::array frames;
  if (obj.at_key("frames").get_array().get(frames) != simdjson::SUCCESS) return cause;
  // Innermost last: a longer stack keeps its innermost frames, where the exception was raised.
  const size_t skip =
      frames.size() > limits::kMaxExceptionFrames ? frames.size() - limits::kMaxExceptionFrames : 0;
  size_t index = 0;
  for (element item : frames) {
    simdjson::dom::object frame;
    if (index++ < skip || item.get_object().get(frame) != simdjson::SUCCESS) continue;
    cause.frames.push_back(FrameOf(frame));
  }
  return cause;
}

std::optional<ExceptionCause> ParseExceptionCause(std::string_view payload_json) {
  // Detail reads are rare next to ingestion: a parser of their own keeps the ingestion parser's
  // buffers out of it.
  simdjson::dom::parser parser;
  element doc;
  if (parser.parse(payload_json.data(), payload_json.size()).get(doc) != simdjson::SUCCESS) {
    return std::nullopt;
  }
  return ReadExceptionCause(doc);
}

void WriteExceptionCause(JsonWriter& w, const ExceptionCause& cause) {
  w.BeginObject().Field("type", cause.type);
  if (!cause.message.empty()) w.Field("message", cause.message);
  w.Key("frames").BeginArray();
  for (const StackFrame& f : cause.frames) {
    w.BeginObject();
    if (!f.file.empty()) w.Field("file", f.file);
    if (f.line > 0) w.Field("line", f.line);
    if (!f.function.empty()) w.Field("function", f.function);
    w.EndObject();
  }
  w.EndArray().EndObject();
}

}  // namespace vigil
