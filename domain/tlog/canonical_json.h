// RFC 8785 JSON Canonicalization Scheme (JCS) output: object members sorted by their names' UTF-16
// code units, no whitespace, strings with the minimal escapes, numbers as ECMAScript writes a
// double. The log's entries and the events of a sealed transcript are hashed in this form
// (docs/transparency.md). Pure; thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vigil::tlog {

class JsonValue {
 public:
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };

  JsonValue() = default;  // null
  static JsonValue Bool(bool b);
  // JSON numbers are IEEE doubles in RFC 8785: integers beyond 2^53 lose precision.
  static JsonValue Number(double d);
  static JsonValue Int(int64_t i) { return Number(static_cast<double>(i)); }
  static JsonValue String(std::string s);  // REQUIRES: valid UTF-8
  static JsonValue Array();
  static JsonValue Object();

  Kind kind() const { return kind_; }
  // Adds a member (replacing one of the same name) to an object; returns *this.
  JsonValue& Set(std::string name, JsonValue value);
  // Appends an element to an array; returns *this.
  JsonValue& Push(JsonValue value);

  // The RFC 8785 serialization. A non-finite number (which JSON cannot hold) is written as null.
  std::string Canonical() const;

 private:
  void Write(std::string* out) const;

  Kind kind_ = Kind::kNull;
  bool bool_ = false;
  double number_ = 0;
  std::string string_;
  std::vector<JsonValue> elements_;
  std::vector<std::pair<std::string, JsonValue>> members_;
};

// The ECMAScript Number::toString form of a finite double (RFC 8785 §3.2.2.3).
std::string EcmaNumber(double d);
// Append the RFC 8785 forms of a string (REQUIRES: valid UTF-8) and of a number (null when not
// finite) to `out`: what JsonValue::Canonical writes for them, for writers that build no tree.
void AppendJsonString(std::string_view s, std::string* out);
void AppendJsonNumber(double d, std::string* out);
// Whether name `a` sorts before `b` by UTF-16 code units (RFC 8785 §3.2.3).
bool Utf16Less(std::string_view a, std::string_view b);

}  // namespace vigil::tlog
