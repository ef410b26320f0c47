// OTLP/JSON as the specification's JSON mapping defines it: the protobuf messages with
// lowerCamelCase keys, trace and span ids as hex (not base64), enums as integers, 64-bit integers
// as decimal strings or numbers, bytes values as base64. Unknown keys are ignored.
#include <simdjson.h>

#include <charconv>
#include <utility>

#include "domain/base64.h"
#include "domain/hash.h"
#include "server/codec/json_writer.h"
#include "server/limits.h"
#include "server/otlp/decode.h"
#include "server/otlp/json_parser.h"

namespace vigil::otlp {
namespace {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

const char* const kShapeError = "unexpected value type";

// A default-constructed simdjson array must not be iterated, so an absent member reads as the
// empty array of a document parsed once per thread.
array EmptyArray() {
  thread_local simdjson::dom::parser empty_parser;
  thread_local array empty = empty_parser.parse("[]", 2, true).get_array().value_unsafe();
  return empty;
}

// The member of `obj` named `key`, which must be an array; a missing or null member is an empty
// list. False for a member of another type.
bool ArrayMember(object obj, std::string_view key, array* out) {
  element e;
  *out = EmptyArray();
  if (obj.at_key(key).get(e) != simdjson::SUCCESS || e.is_null()) return true;
  return e.get_array().get(*out) == simdjson::SUCCESS;
}

std::string StringMember(object obj, std::string_view key) {
  std::string_view s;
  if (obj.at_key(key).get_string().get(s) != simdjson::SUCCESS) return "";
  return std::string(s);
}

// A 64-bit integer sent as a JSON number or as a decimal string.
bool Int64Of(element e, int64_t* out) {
  if (e.get_int64().get(*out) == simdjson::SUCCESS) return true;
  uint64_t u = 0;
  if (e.get_uint64().get(u) == simdjson::SUCCESS) {
    *out = static_cast<int64_t>(u);
    return true;
  }
  std::string_view s;
  if (e.get_string().get(s) != simdjson::SUCCESS || s.empty()) return false;
  const char* end = s.data() + s.size();
  if (s[0] == '-') return std::from_chars(s.data(), end, *out).ptr == end;
  return std::from_chars(s.data(), end, u).ptr == end && (*out = static_cast<int64_t>(u), true);
}

uint64_t NanosMember(object obj, std::string_view key) {
  element e;
  int64_t v = 0;
  if (obj.at_key(key).get(e) != simdjson::SUCCESS || !Int64Of(e, &v)) return 0;
  return static_cast<uint64_t>(v);
}

// A hex id of `size` bytes, lower-cased; "" when absent, malformed or all zero.
std::string HexIdMember(object obj, std::string_view key, size_t size) {
  std::string_view s;
  if (obj.at_key(key).get_string().get(s) != simdjson::SUCCESS) return "";
  auto bytes = HexDecode(s);
  return bytes ? IdHex(*bytes, size) : "";
}

class JsonDecoder {
 public:
  explicit JsonDecoder(DecodedTraces* out) : out_(out) {}

  bool Request(element doc) {
    object root;
    if (doc.get_object().get(root) != simdjson::SUCCESS) return Fail("expected an object");
    array resources;
    if (!ArrayMember(root, "resourceSpans", &resources)) return Fail(kShapeError);
    for (element rs : resources) {
      if (!ResourceSpans(rs)) return false;
    }
    return true;
  }
  const char* error() const { return error_; }

 private:
  bool Fail(const char* why) {
    if (error_ == nullptr) error_ = why;
    return false;
  }

  bool ResourceSpans(element e) {
    object rs;
    if (e.get_object().get(rs) != simdjson::SUCCESS) return Fail(kShapeError);
    std::string service;
    object resource;
    if (rs.at_key("resource").get_object().get(resource) == simdjson::SUCCESS) {
      Attributes attributes;
      if (!AttributesOf(resource, &attributes)) return false;
      if (const AnyValue* v = FindAttribute(attributes, "service.name")) service = v->text;
    }
    array scopes;
    if (!ArrayMember(rs, "scopeSpans", &scopes)) return Fail(kShapeError);
    for (element scope : scopes) {
      object ss;
      array spans;
      if (scope.get_object().get(ss) != simdjson::SUCCESS) return Fail(kShapeError);
      if (!ArrayMember(ss, "spans", &spans)) return Fail(kShapeError);
      for (element span : spans) {
        if (!SpanOf(span, service)) return false;
      }
    }
    return true;
  }

  bool AttributesOf(object obj, Attributes* out) {
    array list;
    if (!ArrayMember(obj, "attributes", &list)) return Fail(kShapeError);
    for (element kv : list) {
      object o;
      if (kv.get_object().get(o) != simdjson::SUCCESS) return Fail(kShapeError);
      Attribute a;
      a.key = StringMember(o, "key");
      element value;
      if (o.at_key("value").get(value) == simdjson::SUCCESS && !ValueOf(value, &a.value)) {
        return false;
      }
      if (out->size() < limits::kMaxOtlpAttributesPerSpan) out->push_back(std::move(a));
    }
    return true;
  }

  bool ValueOf(element e, AnyValue* v);
  bool ValueJson(element e, size_t depth, JsonWriter* w);
  bool ListJson(element e, bool kvlist, size_t depth, JsonWriter* w);
  bool SpanOf(element e, const std::string& service);
  bool EventsOf(object obj, Span* span);

  DecodedTraces* out_;
  const char* error_ = nullptr;
};

bool JsonDecoder::ValueOf(element e, AnyValue* v) {
  object o;
  if (e.is_null()) return true;
  if (e.get_object().get(o) != simdjson::SUCCESS) return Fail(kShapeError);
  element x;
  if (o.at_key("stringValue").get(x) == simdjson::SUCCESS) {
    std::string_view s;
    if (x.get_string().get(s) != simdjson::SUCCESS) return Fail(kShapeError);
    v->kind = ValueKind::kString;
    v->text = std::string(s);
  } else if (o.at_key("boolValue").get(x) == simdjson::SUCCESS) {
    v->kind = ValueKind::kBool;
    if (x.get_bool().get(v->bool_value) != simdjson::SUCCESS) return Fail(kShapeError);
  } else if (o.at_key("intValue").get(x) == simdjson::SUCCESS) {
    v->kind = ValueKind::kInt;
    if (!Int64Of(x, &v->int_value)) return Fail(kShapeError);
  } else if (o.at_key("doubleValue").get(x) == simdjson::SUCCESS) {
    v->kind = ValueKind::kDouble;
    if (x.get_double().get(v->double_value) != simdjson::SUCCESS) return Fail(kShapeError);
  } else if (o.at_key("bytesValue").get(x) == simdjson::SUCCESS) {
    std::string_view s;
    if (x.get_string().get(s) != simdjson::SUCCESS) return Fail(kShapeError);
    auto bytes = Base64Decode(s);
    v->kind = ValueKind::kBytes;
    v->text = bytes ? HexEncode(*bytes) : "";
  } else {
    const bool kv = o.at_key("kvlistValue").get(x) == simdjson::SUCCESS;
    if (!kv && o.at_key("arrayValue").get(x) != simdjson::SUCCESS) return true;
    JsonWriter w;
    if (!ListJson(x, kv, 1, &w)) return false;
    v->kind = kv ? ValueKind::kKvlist : ValueKind::kArray;
    v->text = w.Take();
  }
  return true;
}

bool JsonDecoder::ListJson(element e, bool kvlist, size_t depth, JsonWriter* w) {
  if (depth > limits::kMaxOtlpValueDepth) return Fail("attribute values nested too deeply");
  object o;
  array values;
  if (e.get_object().get(o) != simdjson::SUCCESS) return Fail(kShapeError);
  if (!ArrayMember(o, "values", &values)) return Fail(kShapeError);
  kvlist ? w->BeginObject() : w->BeginArray();
  for (element item : values) {
    element value;
    if (kvlist) {
      object kv;
      if (item.get_object().get(kv) != simdjson::SUCCESS) return Fail(kShapeError);
      w->Key(StringMember(kv, "key"));
      if (kv.at_key("value").get(value) != simdjson::SUCCESS) {
        w->Null();
        continue;
      }
    } else {
      value = item;
    }
    if (!ValueJson(value, depth, w)) return false;
  }
  kvlist ? w->EndObject() : w->EndArray();
  return true;
}

bool JsonDecoder::ValueJson(element e, size_t depth, JsonWriter* w) {
  object o;
  if (e.get_object().get(o) != simdjson::SUCCESS) return Fail(kShapeError);
  element x;
  if (o.at_key("arrayValue").get(x) == simdjson::SUCCESS) return ListJson(x, false, depth + 1, w);
  if (o.at_key("kvlistValue").get(x) == simdjson::SUCCESS) return ListJson(x, true, depth + 1, w);
  AnyValue v;
  if (!ValueOf(e, &v)) return false;
  switch (v.kind) {
    case ValueKind::kString:
    case ValueKind::kBytes:
      w->String(v.text);
      break;
    case ValueKind::kBool:
      w->Bool(v.bool_value);
      break;
    case ValueKind::kInt:
      w->Int(v.int_value);
      break;
    case ValueKind::kDouble:
      w->Double(v.double_value);
      break;
    default:
      w->Null();
  }
  return true;
}

bool JsonDecoder::SpanOf(element e, const std::string& service) {
  object o;
  if (e.get_object().get(o) != simdjson::SUCCESS) return Fail(kShapeError);
  Span span;
  span.service_name = service;
  span.name = StringMember(o, "name");
  int64_t kind = 0;
  element k;
  if (o.at_key("kind").get(k) == simdjson::SUCCESS && Int64Of(k, &kind)) {
    span.kind = static_cast<int32_t>(kind);
  }
  span.start_unix_nano = NanosMember(o, "startTimeUnixNano");
  span.end_unix_nano = NanosMember(o, "endTimeUnixNano");
  if (!AttributesOf(o, &span.attributes) || !EventsOf(o, &span)) return false;
  object status;
  if (o.at_key("status").get_object().get(status) == simdjson::SUCCESS) {
    span.status_message = StringMember(status, "message");
    int64_t code = 0;
    element c;
    if (status.at_key("code").get(c) == simdjson::SUCCESS && Int64Of(c, &code) && code >= 0 &&
        code <= 2) {
      span.status = static_cast<StatusCode>(code);
    }
  }
  span.trace_id = HexIdMember(o, "traceId", 16);
  span.span_id = HexIdMember(o, "spanId", 8);
  span.parent_span_id = HexIdMember(o, "parentSpanId", 8);
  if (span.trace_id.empty() || span.span_id.empty()) {
    ++out_->rejected_spans;
    if (out_->error_message.empty()) out_->error_message = "span with an invalid trace or span id";
    return true;
  }
  AddSpan(out_, std::move(span));
  return true;
}

bool JsonDecoder::EventsOf(object obj, Span* span) {
  array events;
  if (!ArrayMember(obj, "events", &events)) return Fail(kShapeError);
  for (element item : events) {
    object o;
    if (item.get_object().get(o) != simdjson::SUCCESS) return Fail(kShapeError);
    SpanEvent ev;
    ev.name = StringMember(o, "name");
    ev.time_unix_nano = NanosMember(o, "timeUnixNano");
    if (!AttributesOf(o, &ev.attributes)) return false;
    if (span->events.size() < limits::kMaxOtlpEventsPerSpan) span->events.push_back(std::move(ev));
  }
  return true;
}

}  // namespace

Result<DecodedTraces> DecodeJson(std::string_view body) {
  element doc;
  if (OtlpParser(ParserSlot::kRequest).parse(body.data(), body.size(), true).get(doc) !=
      simdjson::SUCCESS) {
    return Status::InvalidArgument("invalid OTLP/JSON: not a JSON document");
  }
  DecodedTraces out;
  JsonDecoder decoder(&out);
  if (!decoder.Request(doc)) {
    return Status::InvalidArgument(std::string("invalid OTLP/JSON: ") + decoder.error());
  }
  return out;
}

std::string EncodeResponseJson(int64_t rejected_spans, std::string_view error_message) {
  if (rejected_spans == 0 && error_message.empty()) return "{}";
  JsonWriter w;
  w.BeginObject().Key("partialSuccess").BeginObject();
  // int64 values are strings in OTLP/JSON.
  w.Field("rejectedSpans", std::to_string(rejected_spans));
  if (!error_message.empty()) w.Field("errorMessage", error_message);
  w.EndObject().EndObject();
  return w.Take();
}

std::string EncodeStatusJson(int32_t code, std::string_view message) {
  JsonWriter w;
  w.BeginObject().Field("code", static_cast<int64_t>(code)).Field("message", message).EndObject();
  return w.Take();
}

}  // namespace vigil::otlp
