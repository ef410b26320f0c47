#include "server/otlp/proto_reader.h"

namespace vigil::otlp {

bool ProtoReader::ReadRawVarint(uint64_t* out) {
  // At most ten bytes; the tenth may carry only the top bit of a 64-bit value. A longer encoding
  // or one that overflows is malformed, not silently truncated.
  uint64_t value = 0;
  for (int i = 0; i < 10; ++i) {
    if (pos_ >= data_.size()) {
      Fail("truncated varint");
      return false;
    }
    const auto byte = static_cast<uint8_t>(data_[pos_++]);
    if (i == 9 && byte > 1) {
      Fail("varint longer than 64 bits");
      return false;
    }
    value |= static_cast<uint64_t>(byte & 0x7f) << (7 * i);
    if ((byte & 0x80) == 0) {
      *out = value;
      return true;
    }
  }
  Fail("varint longer than 64 bits");
  return false;
}

bool ProtoReader::Next() {
  if (!ok() || pos_ >= data_.size()) return false;
  uint64_t key = 0;
  if (!ReadRawVarint(&key)) return false;
  const uint64_t number = key >> 3;
  const auto type = static_cast<uint8_t>(key & 7);
  if (number == 0 || number > 0x1fffffff) {
    Fail("invalid field number");
    return false;
  }
  if (type == 3 || type == 4) {
    Fail("groups are not supported");
    return false;
  }
  if (type > 5) {
    Fail("invalid wire type");
    return false;
  }
  field_ = static_cast<uint32_t>(number);
  type_ = static_cast<WireType>(type);
  return true;
}

uint64_t ProtoReader::Varint() {
  uint64_t v = 0;
  if (type_ != WireType::kVarint) {
    Fail("wrong wire type");
    return 0;
  }
  return ReadRawVarint(&v) ? v : 0;
}

uint64_t ProtoReader::Fixed64() {
  if (type_ != WireType::kFixed64) {
    Fail("wrong wire type");
    return 0;
  }
  if (data_.size() - pos_ < 8) {
    Fail("truncated fixed64");
    return 0;
  }
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(data_[pos_ + i]);
  pos_ += 8;
  return v;
}

uint32_t ProtoReader::Fixed32() {
  if (type_ != WireType::kFixed32) {
    Fail("wrong wire type");
    return 0;
  }
  if (data_.size() - pos_ < 4) {
    Fail("truncated fixed32");
    return 0;
  }
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(data_[pos_ + i]);
  pos_ += 4;
  return v;
}

std::string_view ProtoReader::Bytes() {
  if (type_ != WireType::kLength) {
    Fail("wrong wire type");
    return {};
  }
  uint64_t len = 0;
  if (!ReadRawVarint(&len)) return {};
  if (len > data_.size() - pos_) {
    Fail("length past the end of the message");
    return {};
  }
  std::string_view v = data_.substr(pos_, static_cast<size_t>(len));
  pos_ += static_cast<size_t>(len);
  return v;
}

void ProtoReader::Skip() {
  switch (type_) {
    case WireType::kVarint:
      Varint();
      return;
    case WireType::kFixed64:
      Fixed64();
      return;
    case WireType::kLength:
      Bytes();
      return;
    case WireType::kFixed32:
      Fixed32();
      return;
    default:
      Fail("groups are not supported");
  }
}

}  // namespace vigil::otlp
