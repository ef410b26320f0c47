#include "domain/random.h"

#include <openssl/rand.h>

#include <cstdlib>
#include <vector>

namespace vigil {
namespace {

std::vector<unsigned char> RandomBytes(size_t n) {
  std::vector<unsigned char> bytes(n);
  // RAND_bytes only fails when the OS entropy source is unusable; continuing would mint
  // predictable keys, so stop hard (fail closed).
  if (n > 0 && RAND_bytes(bytes.data(), static_cast<int>(n)) != 1) std::abort();
  return bytes;
}

}  // namespace

std::string RandomHex(size_t n_bytes) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n_bytes);
  for (unsigned char b : RandomBytes(n_bytes)) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0xf]);
  }
  return out;
}

std::string RandomBase64Url(size_t n_bytes) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const auto bytes = RandomBytes(n_bytes);
  std::string out;
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const unsigned v = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
    out.push_back(kAlphabet[v & 63]);
  }
  if (i + 1 == bytes.size()) {
    const unsigned v = bytes[i] << 16;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
  } else if (i + 2 == bytes.size()) {
    const unsigned v = (bytes[i] << 16) | (bytes[i + 1] << 8);
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
  }
  return out;
}

}  // namespace vigil
