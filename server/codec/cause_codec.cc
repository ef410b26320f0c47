#include "server/codec/cause_codec.h"

#include "server/limits.h"

namespace vigil {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

std::string MustBe(std::string_view field, const char* what) {
  return "field \"payload." + std::string(field) + "\" must be " + what;
}

// A string member within `max_bytes`; absent (or null) leaves `out` alone.
bool ReadText(simdjson::dom::object obj, std::string_view key, std::string_view field,
              size_t max_bytes, std::string* out, std::string* error) {
  element v;
  if (obj.at_key(key).get(v) != simdjson::SUCCESS || v.is_null()) return true;
  std::string_view s;
  if (v.get_string().get(s) != simdjson::SUCCESS) {
    *error = MustBe(field, "a string");
    return false;
  }
  if (s.size() > max_bytes) {
    *error =
        "payload." + std::string(field) + " longer than " + std::to_string(max_bytes) + " bytes";
    return false;
  }
  *out = std::string(s);
  return true;
}

bool ReadFrame(element v, size_t index, StackFrame* frame, std::string* error) {
  const std::string at = "frames[" + std::to_string(index) + "]";
  simdjson::dom::object obj;
  if (v.get_object().get(obj) != simdjson::SUCCESS) {
    *error = MustBe(at, "an object");
    return false;
  }
  if (!ReadText(obj, "file", at + ".file", limits::kMaxFrameFieldBytes, &frame->file, error) ||
      !ReadText(obj, "function", at + ".function", limits::kMaxFrameFieldBytes, &frame->function,
                error)) {
    return false;
  }
  element line;
  if (obj.at_key("line").get(line) != simdjson::SUCCESS || line.is_null()) return true;
  int64_t n = 0;
  const bool integer = line.type() == element_type::INT64 || line.type() == element_type::UINT64;
  if (!integer || line.get_int64().get(n) != simdjson::SUCCESS || n < 0) {
    *error = MustBe(at + ".line", "an integer >= 0");
    return false;
  }
  frame->line = n;
  return true;
}

bool ReadFrames(simdjson::dom::object obj, ExceptionCause* out, std::string* error) {
  element v;
  if (obj.at_key("frames").get(v) != simdjson::SUCCESS || v.is_null()) return true;
  simdjson::dom::array frames;
  if (v.get_array().get(frames) != simdjson::SUCCESS) {
    *error = MustBe("frames", "an array");
    return false;
  }
  if (frames.size() > limits::kMaxExceptionFrames) {
    *error =
        "payload.frames holds more than " + std::to_string(limits::kMaxExceptionFrames) + " frames";
    return false;
  }
  size_t index = 0;
  for (element item : frames) {
    StackFrame frame;
    if (!ReadFrame(item, index++, &frame, error)) return false;
    out->frames.push_back(std::move(frame));
  }
  return true;
}

}  // namespace

bool ReadExceptionCause(element payload, ExceptionCause* out, std::string* error) {
  ExceptionCause cause;
  simdjson::dom::object obj;
  if (payload.get_object().get(obj) != simdjson::SUCCESS) {
    *error = "an exception event's payload must be an object";
    return false;
  }
  if (!ReadText(obj, "exception_type", "exception_type", limits::kMaxExceptionTypeBytes,
                &cause.type, error) ||
      !ReadText(obj, "exception_message", "exception_message", limits::kMaxExceptionMessageBytes,
                &cause.message, error) ||
      !ReadFrames(obj, &cause, error)) {
    return false;
  }
  if (cause.type.empty()) {
    *error = "payload.exception_type is required in an exception event";
    return false;
  }
  if (out != nullptr) *out = std::move(cause);
  return true;
}

std::optional<ExceptionCause> ParseExceptionCause(std::string_view payload_json) {
  // Detail reads are rare next to ingestion: a parser of their own keeps the ingestion parser's
  // buffers out of it.
  simdjson::dom::parser parser;
  element doc;
  if (parser.parse(payload_json.data(), payload_json.size()).get(doc) != simdjson::SUCCESS) {
    return std::nullopt;
  }
  ExceptionCause cause;
  std::string error;
  if (!ReadExceptionCause(doc, &cause, &error)) return std::nullopt;
  return cause;
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
