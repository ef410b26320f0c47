#include "domain/tlog/canonical_json.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace vigil::tlog {
namespace {

// Decodes the UTF-8 code point at s[*i] and advances *i; invalid bytes read as themselves.
uint32_t NextCodePoint(std::string_view s, size_t* i) {
  const auto b = static_cast<unsigned char>(s[*i]);
  int extra = b >= 0xf0 ? 3 : b >= 0xe0 ? 2 : b >= 0xc0 ? 1 : 0;
  uint32_t cp = extra == 3 ? (b & 0x07) : extra == 2 ? (b & 0x0f) : extra == 1 ? (b & 0x1f) : b;
  ++*i;
  for (; extra > 0 && *i < s.size(); --extra, ++*i) {
    cp = (cp << 6) | (static_cast<unsigned char>(s[*i]) & 0x3f);
  }
  return cp;
}

// The UTF-16 code units of `s`.
std::u16string Utf16Units(std::string_view s) {
  std::u16string out;
  for (size_t i = 0; i < s.size();) {
    uint32_t cp = NextCodePoint(s, &i);
    if (cp >= 0x10000) {
      cp -= 0x10000;
      out.push_back(static_cast<char16_t>(0xd800 + (cp >> 10)));
      out.push_back(static_cast<char16_t>(0xdc00 + (cp & 0x3ff)));
    } else {
      out.push_back(static_cast<char16_t>(cp));
    }
  }
  return out;
}

}  // namespace

void AppendJsonString(std::string_view s, std::string* out) {
  out->push_back('"');
  size_t plain = 0;  // start of the run of bytes written as they are
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out->append(s.data() + plain, i - plain);
    plain = i + 1;
    switch (c) {
      case '"':
        *out += "\\\"";
        break;
      case '\\':
        *out += "\\\\";
        break;
      case '\b':
        *out += "\\b";
        break;
      case '\f':
        *out += "\\f";
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
      default: {
        static const char kHex[] = "0123456789abcdef";
        const char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xf]};
        out->append(esc, sizeof esc);
      }
    }
  }
  out->append(s.data() + plain, s.size() - plain);
  out->push_back('"');
}

void AppendJsonNumber(double d, std::string* out) {
  // Integers below 2^53 are exact and ECMAScript writes their digits (0 also for -0).
  if (std::fabs(d) < 9007199254740992.0 && d == std::trunc(d)) {
    char buf[24];
    auto res = std::to_chars(buf, buf + sizeof buf, static_cast<int64_t>(d));
    out->append(buf, static_cast<size_t>(res.ptr - buf));
    return;
  }
  *out += std::isfinite(d) ? EcmaNumber(d) : "null";
}

bool Utf16Less(std::string_view a, std::string_view b) {
  // ASCII names (the usual case) compare the same way as bytes.
  const bool ascii = std::all_of(a.begin(), a.end(), [](char c) { return c >= 0; }) &&
                     std::all_of(b.begin(), b.end(), [](char c) { return c >= 0; });
  if (ascii) return a < b;
  return Utf16Units(a) < Utf16Units(b);
}

std::string EcmaNumber(double d) {
  if (d == 0) return "0";  // also -0
  std::string sign = d < 0 ? "-" : "";
  char buf[64];
  // The shortest digits that read back as d, in d.ddde±x form.
  auto res = std::to_chars(buf, buf + sizeof buf, std::fabs(d), std::chars_format::scientific);
  std::string_view sci(buf, static_cast<size_t>(res.ptr - buf));
  const size_t e = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e)) {
    if (c != '.') digits.push_back(c);
  }
  const int k = static_cast<int>(digits.size());
  const int n = std::stoi(std::string(sci.substr(e + 1))) + 1;  // value = 0.digits × 10^n
  std::string out;
  if (k <= n && n <= 21) {
    out = digits + std::string(static_cast<size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {
    out = digits.substr(0, static_cast<size_t>(n)) + "." + digits.substr(static_cast<size_t>(n));
  } else if (-6 < n && n <= 0) {
    out = "0." + std::string(static_cast<size_t>(-n), '0') + digits;
  } else {
    out = digits.substr(0, 1);
    if (k > 1) out += "." + digits.substr(1);
    out += (n - 1 >= 0 ? "e+" : "e-") + std::to_string(std::abs(n - 1));
  }
  return sign + out;
}

JsonValue JsonValue::Bool(bool b) {
  JsonValue v;
  v.kind_ = Kind::kBool;
  v.bool_ = b;
  return v;
}

JsonValue JsonValue::Number(double d) {
  JsonValue v;
  v.kind_ = Kind::kNumber;
  v.number_ = d;
  return v;
}

JsonValue JsonValue::String(std::string s) {
  JsonValue v;
  v.kind_ = Kind::kString;
  v.string_ = std::move(s);
  return v;
}

JsonValue JsonValue::Array() {
  JsonValue v;
  v.kind_ = Kind::kArray;
  return v;
}

JsonValue JsonValue::Object() {
  JsonValue v;
  v.kind_ = Kind::kObject;
  return v;
}

JsonValue& JsonValue::Set(std::string name, JsonValue value) {
  for (auto& m : members_) {
    if (m.first == name) {
      m.second = std::move(value);
      return *this;
    }
  }
  members_.emplace_back(std::move(name), std::move(value));
  return *this;
}

JsonValue& JsonValue::Push(JsonValue value) {
  elements_.push_back(std::move(value));
  return *this;
}

std::string JsonValue::Canonical() const {
  std::string out;
  Write(&out);
  return out;
}

void JsonValue::Write(std::string* out) const {
  switch (kind_) {
    case Kind::kNull:
      *out += "null";
      return;
    case Kind::kBool:
      *out += bool_ ? "true" : "false";
      return;
    case Kind::kNumber:
      AppendJsonNumber(number_, out);
      return;
    case Kind::kString:
      AppendJsonString(string_, out);
      return;
    case Kind::kArray:
      out->push_back('[');
      for (size_t i = 0; i < elements_.size(); ++i) {
        if (i > 0) out->push_back(',');
        elements_[i].Write(out);
      }
      out->push_back(']');
      return;
    case Kind::kObject:
      break;
  }
  std::vector<const std::pair<std::string, JsonValue>*> sorted;
  for (const auto& m : members_) sorted.push_back(&m);
  std::sort(sorted.begin(), sorted.end(),
            [](const auto* a, const auto* b) { return Utf16Less(a->first, b->first); });
  out->push_back('{');
  for (size_t i = 0; i < sorted.size(); ++i) {
    if (i > 0) out->push_back(',');
    AppendJsonString(sorted[i]->first, out);
    out->push_back(':');
    sorted[i]->second.Write(out);
  }
  out->push_back('}');
}

}  // namespace vigil::tlog
