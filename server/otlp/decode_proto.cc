// Binary OTLP: field numbers from the public opentelemetry-proto definitions of
// collector/trace/v1, trace/v1, resource/v1 and common/v1. Unknown fields are skipped as the
// protobuf rules require, so newer senders decode too.
#include <cstring>
#include <utility>

#include "domain/hash.h"
#include "server/codec/json_writer.h"
#include "server/limits.h"
#include "server/otlp/decode.h"
#include "server/otlp/proto_reader.h"

namespace vigil::otlp {
namespace {

// Decodes into one DecodedTraces; the first malformation stops everything (error_ set).
class ProtoDecoder {
 public:
  explicit ProtoDecoder(DecodedTraces* out) : out_(out) {}

  void Request(std::string_view bytes) {
    ProtoReader r(bytes);
    while (r.Next()) {
      if (r.field() == 1 && r.type() == WireType::kLength) {
        ResourceSpans(r.Bytes());
      } else {
        r.Skip();
      }
    }
    Check(r);
  }

  const char* error() const { return error_; }

 private:
  bool Check(const ProtoReader& r) {
    if (!r.ok() && error_ == nullptr) error_ = r.error();
    return error_ == nullptr;
  }
  bool Failed() const { return error_ != nullptr; }

  void ResourceSpans(std::string_view bytes) {
    // The resource may follow its spans on the wire: collect the spans, then stamp them.
    ProtoReader r(bytes);
    std::string service;
    const size_t first = out_->spans.size();
    while (!Failed() && r.Next()) {
      if (r.field() == 1 && r.type() == WireType::kLength) {
        Attributes resource;
        Message(r.Bytes(), 1, &resource);
        if (const AnyValue* v = FindAttribute(resource, "service.name")) service = v->text;
      } else if (r.field() == 2 && r.type() == WireType::kLength) {
        ScopeSpans(r.Bytes());
      } else {
        r.Skip();
      }
    }
    Check(r);
    for (size_t i = first; i < out_->spans.size(); ++i) out_->spans[i].service_name = service;
  }

  void ScopeSpans(std::string_view bytes) {
    ProtoReader r(bytes);
    while (!Failed() && r.Next()) {
      if (r.field() == 2 && r.type() == WireType::kLength) {
        Span span;
        if (SpanMessage(r.Bytes(), &span)) AddSpan(out_, std::move(span));
      } else {
        r.Skip();
      }
    }
    Check(r);
  }

  // Reads the KeyValue entries numbered `field` of a message (Resource, Span, Span.Event).
  void Message(std::string_view bytes, uint32_t field, Attributes* attributes) {
    ProtoReader r(bytes);
    while (!Failed() && r.Next()) {
      if (r.field() == field && r.type() == WireType::kLength) {
        KeyValue(r.Bytes(), attributes);
      } else {
        r.Skip();
      }
    }
    Check(r);
  }

  void KeyValue(std::string_view bytes, Attributes* attributes) {
    ProtoReader r(bytes);
    Attribute a;
    while (!Failed() && r.Next()) {
      if (r.field() == 1 && r.type() == WireType::kLength) {
        a.key = std::string(r.Bytes());
      } else if (r.field() == 2 && r.type() == WireType::kLength) {
        Value(r.Bytes(), &a.value);
      } else {
        r.Skip();
      }
    }
    if (Check(r) && attributes->size() < limits::kMaxOtlpAttributesPerSpan) {
      attributes->push_back(std::move(a));
    }
  }

  void Value(std::string_view bytes, AnyValue* v);
  // Writes an AnyValue (or the values of an ArrayValue / KeyValueList) as JSON.
  void ValueJson(std::string_view bytes, size_t depth, JsonWriter* w);
  void ListJson(std::string_view bytes, bool kvlist, size_t depth, JsonWriter* w);
  bool SpanMessage(std::string_view bytes, Span* span);
  void EventMessage(std::string_view bytes, Span* span);
  void StatusMessage(std::string_view bytes, Span* span);

  DecodedTraces* out_;
  const char* error_ = nullptr;
};

double DoubleFromBits(uint64_t bits) {
  double d = 0;
  static_assert(sizeof d == sizeof bits, "IEEE double");
  std::memcpy(&d, &bits, sizeof d);
  return d;
}

void ProtoDecoder::Value(std::string_view bytes, AnyValue* v) {
  ProtoReader r(bytes);
  while (!Failed() && r.Next()) {
    const uint32_t f = r.field();
    if (f == 1 && r.type() == WireType::kLength) {
      v->kind = ValueKind::kString;
      v->text = std::string(r.Bytes());
    } else if (f == 2 && r.type() == WireType::kVarint) {
      v->kind = ValueKind::kBool;
      v->bool_value = r.Varint() != 0;
    } else if (f == 3 && r.type() == WireType::kVarint) {
      v->kind = ValueKind::kInt;
      v->int_value = static_cast<int64_t>(r.Varint());
    } else if (f == 4 && r.type() == WireType::kFixed64) {
      v->kind = ValueKind::kDouble;
      v->double_value = DoubleFromBits(r.Fixed64());
    } else if ((f == 5 || f == 6) && r.type() == WireType::kLength) {
      v->kind = f == 5 ? ValueKind::kArray : ValueKind::kKvlist;
      JsonWriter w;
      ListJson(r.Bytes(), f == 6, 1, &w);
      v->text = w.Take();
    } else if (f == 7 && r.type() == WireType::kLength) {
      v->kind = ValueKind::kBytes;
      v->text = HexEncode(r.Bytes());
    } else {
      r.Skip();
    }
  }
  Check(r);
}

void ProtoDecoder::ListJson(std::string_view bytes, bool kvlist, size_t depth, JsonWriter* w) {
  if (depth > limits::kMaxOtlpValueDepth) {
    error_ = "attribute values nested too deeply";
    return;
  }
  kvlist ? w->BeginObject() : w->BeginArray();
  ProtoReader r(bytes);
  while (!Failed() && r.Next()) {
    if (r.field() != 1 || r.type() != WireType::kLength) {
      r.Skip();
    } else if (!kvlist) {
      ValueJson(r.Bytes(), depth, w);
    } else {
      ProtoReader kv(r.Bytes());
      std::string key;
      std::string_view value;
      while (kv.Next()) {
        if (kv.field() == 1 && kv.type() == WireType::kLength) {
          key = std::string(kv.Bytes());
        } else if (kv.field() == 2 && kv.type() == WireType::kLength) {
          value = kv.Bytes();
        } else {
          kv.Skip();
        }
      }
      if (!Check(kv)) return;
      w->Key(key);
      ValueJson(value, depth, w);
    }
  }
  Check(r);
  kvlist ? w->EndObject() : w->EndArray();
}

void ProtoDecoder::ValueJson(std::string_view bytes, size_t depth, JsonWriter* w) {
  ProtoReader r(bytes);
  bool wrote = false;
  while (!Failed() && r.Next()) {
    const uint32_t f = r.field();
    if (wrote || f < 1 || f > 7) {
      r.Skip();
      continue;
    }
    wrote = true;
    if (f == 1 && r.type() == WireType::kLength) {
      w->String(r.Bytes());
    } else if (f == 2 && r.type() == WireType::kVarint) {
      w->Bool(r.Varint() != 0);
    } else if (f == 3 && r.type() == WireType::kVarint) {
      w->Int(static_cast<int64_t>(r.Varint()));
    } else if (f == 4 && r.type() == WireType::kFixed64) {
      w->Double(DoubleFromBits(r.Fixed64()));
    } else if ((f == 5 || f == 6) && r.type() == WireType::kLength) {
      ListJson(r.Bytes(), f == 6, depth + 1, w);
    } else if (f == 7 && r.type() == WireType::kLength) {
      w->String(HexEncode(r.Bytes()));
    } else {
      error_ = "wrong wire type in an attribute value";
    }
  }
  if (Check(r) && !wrote) w->Null();
}

bool ProtoDecoder::SpanMessage(std::string_view bytes, Span* span) {
  ProtoReader r(bytes);
  std::string_view trace_id, span_id, parent_id;
  while (!Failed() && r.Next()) {
    const uint32_t f = r.field();
    const bool len = r.type() == WireType::kLength;
    if (f == 1 && len) {
      trace_id = r.Bytes();
    } else if (f == 2 && len) {
      span_id = r.Bytes();
    } else if (f == 4 && len) {
      parent_id = r.Bytes();
    } else if (f == 5 && len) {
      span->name = std::string(r.Bytes());
    } else if (f == 6 && r.type() == WireType::kVarint) {
      span->kind = static_cast<int32_t>(r.Varint());
    } else if (f == 7 && r.type() == WireType::kFixed64) {
      span->start_unix_nano = r.Fixed64();
    } else if (f == 8 && r.type() == WireType::kFixed64) {
      span->end_unix_nano = r.Fixed64();
    } else if (f == 9 && len) {
      KeyValue(r.Bytes(), &span->attributes);
    } else if (f == 11 && len) {
      EventMessage(r.Bytes(), span);
    } else if (f == 15 && len) {
      StatusMessage(r.Bytes(), span);
    } else {
      r.Skip();
    }
  }
  if (!Check(r)) return false;
  span->trace_id = IdHex(trace_id, 16);
  span->span_id = IdHex(span_id, 8);
  span->parent_span_id = IdHex(parent_id, 8);
  if (span->trace_id.empty() || span->span_id.empty()) {
    ++out_->rejected_spans;
    if (out_->error_message.empty()) out_->error_message = "span with an invalid trace or span id";
    return false;
  }
  return true;
}

void ProtoDecoder::EventMessage(std::string_view bytes, Span* span) {
  ProtoReader r(bytes);
  SpanEvent e;
  while (!Failed() && r.Next()) {
    if (r.field() == 1 && r.type() == WireType::kFixed64) {
      e.time_unix_nano = r.Fixed64();
    } else if (r.field() == 2 && r.type() == WireType::kLength) {
      e.name = std::string(r.Bytes());
    } else if (r.field() == 3 && r.type() == WireType::kLength) {
      KeyValue(r.Bytes(), &e.attributes);
    } else {
      r.Skip();
    }
  }
  if (Check(r) && span->events.size() < limits::kMaxOtlpEventsPerSpan) {
    span->events.push_back(std::move(e));
  }
}

void ProtoDecoder::StatusMessage(std::string_view bytes, Span* span) {
  ProtoReader r(bytes);
  while (!Failed() && r.Next()) {
    if (r.field() == 2 && r.type() == WireType::kLength) {
      span->status_message = std::string(r.Bytes());
    } else if (r.field() == 3 && r.type() == WireType::kVarint) {
      const uint64_t code = r.Varint();
      span->status = code <= 2 ? static_cast<StatusCode>(code) : StatusCode::kUnset;
    } else {
      r.Skip();
    }
  }
  Check(r);
}

void AppendVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

}  // namespace

Result<DecodedTraces> DecodeProtobuf(std::string_view body) {
  DecodedTraces out;
  ProtoDecoder decoder(&out);
  decoder.Request(body);
  if (decoder.error() != nullptr) {
    return Status::InvalidArgument(std::string("malformed protobuf: ") + decoder.error());
  }
  return out;
}

std::string EncodeResponseProtobuf(int64_t rejected_spans, std::string_view error_message) {
  if (rejected_spans == 0 && error_message.empty()) return "";
  std::string partial;
  if (rejected_spans != 0) {
    partial.push_back(0x08);  // field 1, varint
    AppendVarint(&partial, static_cast<uint64_t>(rejected_spans));
  }
  if (!error_message.empty()) {
    partial.push_back(0x12);  // field 2, length-delimited
    AppendVarint(&partial, error_message.size());
    partial.append(error_message);
  }
  std::string out;
  out.push_back(0x0a);  // ExportTraceServiceResponse.partial_success, field 1
  AppendVarint(&out, partial.size());
  out += partial;
  return out;
}

std::string EncodeStatusProtobuf(int32_t code, std::string_view message) {
  std::string out;
  if (code != 0) {
    out.push_back(0x08);  // field 1, varint
    AppendVarint(&out, static_cast<uint64_t>(code));
  }
  if (!message.empty()) {
    out.push_back(0x12);  // field 2, length-delimited
    AppendVarint(&out, message.size());
    out.append(message);
  }
  return out;
}

}  // namespace vigil::otlp
