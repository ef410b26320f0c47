#include "domain/percent.h"

namespace vigil {

std::string PercentEncode(std::string_view text, bool (*keep)(unsigned char), size_t max_bytes) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (max_bytes - out.size() < 3) break;
    if (keep(c)) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace vigil
