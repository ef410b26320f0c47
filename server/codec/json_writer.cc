#include "server/codec/json_writer.h"

#include <charconv>
#include <cmath>

#include "detectors/unicode.h"

namespace vigil {

namespace {

// Bytes copied as they are: printable ASCII other than the two that must be escaped.
bool PlainAscii(unsigned char c) { return c >= 0x20 && c < 0x7f && c != '"' && c != '\\'; }

// \uXXXX for a code point below U+10000.
void AppendUnicodeEscape(std::string* out, char32_t cp) {
  static const char kHex[] = "0123456789abcdef";
  *out += "\\u";
  for (int shift = 12; shift >= 0; shift -= 4) out->push_back(kHex[(cp >> shift) & 0xf]);
}

void AppendEscapedAscii(std::string* out, unsigned char c) {
  switch (c) {
    case '"':
      *out += "\\\"";
      break;
    case '\\':
      *out += "\\\\";
      break;
    case '\n':
      *out += "\\n";
      break;
    case '\r':
      *out += "\\r";
      break;
    case '\t':
      *out += "\\t";
      break;
    case '\b':
      *out += "\\b";
      break;
    case '\f':
      *out += "\\f";
      break;
    default:
      AppendUnicodeEscape(out, c);  // other control characters and DEL
  }
}

}  // namespace

// Whatever bytes a string holds (a path id stored before it was checked, a header, a cut
// message), the output is valid UTF-8 JSON: every byte that starts no valid UTF-8 sequence
// becomes U+FFFD, and control characters (C0, DEL, C1) as well as U+2028/U+2029 (line breaks to
// JavaScript) are written as escapes, never raw.
void AppendJsonString(std::string* out, std::string_view v) {
  out->push_back('"');
  size_t i = 0;
  while (i < v.size()) {
    size_t run = i;
    while (run < v.size() && PlainAscii(static_cast<unsigned char>(v[run]))) ++run;
    out->append(v.data() + i, run - i);
    i = run;
    if (i == v.size()) break;
    const auto c = static_cast<unsigned char>(v[i]);
    if (c < 0x80) {
      AppendEscapedAscii(out, c);
      ++i;
      continue;
    }
    size_t next = i;
    const char32_t cp = DecodeUtf8(v, &next);
    if (cp == kReplacementChar && next == i + 1) {
      *out += "\xEF\xBF\xBD";  // an invalid byte
    } else if (cp < 0xA0 || cp == 0x2028 || cp == 0x2029) {
      AppendUnicodeEscape(out, cp);
    } else {
      out->append(v.data() + i, next - i);
    }
    i = next;
  }
  out->push_back('"');
}

void JsonWriter::Separate() {
  if (need_comma_) out_.push_back(',');
  need_comma_ = true;
}

JsonWriter& JsonWriter::BeginObject() {
  Separate();
  out_.push_back('{');
  need_comma_ = false;
  return *this;
}
JsonWriter& JsonWriter::EndObject() {
  out_.push_back('}');
  need_comma_ = true;
  return *this;
}
JsonWriter& JsonWriter::BeginArray() {
  Separate();
  out_.push_back('[');
  need_comma_ = false;
  return *this;
}
JsonWriter& JsonWriter::EndArray() {
  out_.push_back(']');
  need_comma_ = true;
  return *this;
}
JsonWriter& JsonWriter::Key(std::string_view k) {
  Separate();
  AppendJsonString(&out_, k);
  out_.push_back(':');
  need_comma_ = false;
  return *this;
}
JsonWriter& JsonWriter::String(std::string_view v) {
  Separate();
  AppendJsonString(&out_, v);
  return *this;
}
JsonWriter& JsonWriter::Int(int64_t v) {
  Separate();
  out_ += std::to_string(v);
  return *this;
}
JsonWriter& JsonWriter::Double(double v) {
  Separate();
  if (!std::isfinite(v)) {
    out_ += "0";
    return *this;
  }
  // 15 significant digits (DBL_DIG): every decimal of up to 15 digits prints as written, and
  // binary noise past that, as in 0.0058 + 0.0058 = 0.011600000000000001, is dropped. No figure
  // Vigil reports (money, rates, scores) carries meaning beyond 15 digits.
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::general, 15);
  out_.append(buf, r.ptr);
  return *this;
}
JsonWriter& JsonWriter::Bool(bool v) {
  Separate();
  out_ += v ? "true" : "false";
  return *this;
}
JsonWriter& JsonWriter::Null() {
  Separate();
  out_ += "null";
  return *this;
}
JsonWriter& JsonWriter::Raw(std::string_view json) {
  Separate();
  out_ += json;
  return *this;
}

}  // namespace vigil
