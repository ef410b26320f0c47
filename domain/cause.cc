#include "domain/cause.h"

namespace vigil {
namespace {

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

bool IsAlgorithmSeparator(char c) { return c == '+' || c == '.' || c == '_' || c == '-'; }

}  // namespace

bool IsCodeVersion(std::string_view v) {
  if (v.empty()) return false;
  for (char c : v) {
    if (IsAlnum(c)) continue;
    if (c == '.' || c == '_' || c == '+' || c == ':' || c == '/' || c == '@' || c == '-') continue;
    return false;
  }
  return true;
}

bool IsContainerDigest(std::string_view v) {
  const size_t colon = v.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == v.size()) return false;
  const std::string_view algorithm = v.substr(0, colon);
  const std::string_view encoded = v.substr(colon + 1);
  // Components of lower-case letters and digits, joined by single separators.
  bool after_separator = true;
  for (char c : algorithm) {
    if (IsLowerAlnum(c)) {
      after_separator = false;
    } else if (IsAlgorithmSeparator(c) && !after_separator) {
      after_separator = true;
    } else {
      return false;
    }
  }
  if (after_separator) return false;
  for (char c : encoded) {
    if (!IsAlnum(c) && c != '=' && c != '_' && c != '-') return false;
  }
  return true;
}

}  // namespace vigil
