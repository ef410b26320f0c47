// A small streaming JSON writer: keys in the order written, strings escaped, numbers shortest
// round-trip. Used for every response so field order matches the spec exactly.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace vigil {

class JsonWriter {
 public:
  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  JsonWriter& Key(std::string_view k);
  JsonWriter& String(std::string_view v);
  JsonWriter& Int(int64_t v);
  JsonWriter& Double(double v);
  JsonWriter& Bool(bool v);
  JsonWriter& Null();
  // Inserts already-serialised JSON (e.g. a stored payload) verbatim.
  JsonWriter& Raw(std::string_view json);

  // Convenience: key + value.
  JsonWriter& Field(std::string_view k, std::string_view v) { return Key(k).String(v); }
  JsonWriter& Field(std::string_view k, const char* v) { return Key(k).String(v); }
  JsonWriter& Field(std::string_view k, const std::string& v) { return Key(k).String(v); }
  JsonWriter& Field(std::string_view k, int64_t v) { return Key(k).Int(v); }
  JsonWriter& Field(std::string_view k, int v) { return Key(k).Int(v); }
  JsonWriter& Field(std::string_view k, bool v) { return Key(k).Bool(v); }
  JsonWriter& FieldDouble(std::string_view k, double v) { return Key(k).Double(v); }

  const std::string& str() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  void Separate();
  std::string out_;
  bool need_comma_ = false;
};

// Appends `v` to `out` as a JSON string literal (with quotes).
void AppendJsonString(std::string* out, std::string_view v);

}  // namespace vigil
