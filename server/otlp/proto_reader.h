// A reader of the protobuf wire format, just large enough for OTLP (docs/design.md says why it is
// written here rather than taken from libprotobuf). It reads one message's fields in order and
// never reads past the bytes it was given; every malformed input ends in ok() == false, never in
// undefined behaviour. Not thread-safe; cheap to copy.
#pragma once

#include <cstdint>
#include <string_view>

namespace vigil::otlp {

enum class WireType : uint8_t {
  kVarint = 0,
  kFixed64 = 1,
  kLength = 2,
  kStartGroup = 3,
  kEndGroup = 4,
  kFixed32 = 5
};

class ProtoReader {
 public:
  explicit ProtoReader(std::string_view data) : data_(data) {}

  // Reads the next field's key. False at the end of the message or on a malformed key (then
  // ok() is false): field number 0, wire types 6 and 7, and groups, which proto3 never sends.
  bool Next();
  uint32_t field() const { return field_; }
  WireType type() const { return type_; }

  // The current field's value. Each fails (ok() turns false, the result is 0 or empty) when the
  // field has another wire type or its bytes run past the message.
  uint64_t Varint();
  uint64_t Fixed64();
  uint32_t Fixed32();
  std::string_view Bytes();
  // Skips the current field's value, whatever its (valid) wire type.
  void Skip();

  bool ok() const { return error_ == nullptr; }
  // Why the reader stopped, for the 400 message; null while ok().
  const char* error() const { return error_; }

 private:
  bool ReadRawVarint(uint64_t* out);
  void Fail(const char* why) {
    if (error_ == nullptr) error_ = why;
    pos_ = data_.size();
  }

  std::string_view data_;
  size_t pos_ = 0;
  uint32_t field_ = 0;
  WireType type_ = WireType::kVarint;
  const char* error_ = nullptr;
};

}  // namespace vigil::otlp
