#include "detectors/unicode.h"

namespace vigil {
namespace {

bool IsContinuation(unsigned char byte) { return (byte & 0xC0) == 0x80; }

// Lower-casing inside a block where upper and lower case alternate: the upper-case letter sits at
// the even (or odd) offset and its lower-case twin right after it.
char32_t AlternatingLower(char32_t cp, char32_t first, char32_t last, bool upper_is_even) {
  if (cp < first || cp > last) return 0;
  const bool even = (cp % 2) == 0;
  return even == upper_is_even ? cp + 1 : cp;
}

}  // namespace

char32_t DecodeUtf8(std::string_view text, size_t* pos) {
  const size_t i = *pos;
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  if (lead < 0x80) {
    *pos = i + 1;
    return lead;
  }
  size_t length = 0;
  char32_t cp = 0;
  char32_t min = 0;
  if ((lead & 0xE0) == 0xC0) {
    length = 2;
    cp = lead & 0x1F;
    min = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3;
    cp = lead & 0x0F;
    min = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4;
    cp = lead & 0x07;
    min = 0x10000;
  } else {
    *pos = i + 1;
    return kReplacementChar;
  }
  if (text.size() - i < length) {
    *pos = i + 1;
    return kReplacementChar;
  }
  for (size_t k = 1; k < length; ++k) {
    if (!IsContinuation(byte(i + k))) {
      *pos = i + 1;
      return kReplacementChar;
    }
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    *pos = i + 1;
    return kReplacementChar;
  }
  *pos = i + length;
  return cp;
}

void AppendUtf8(char32_t cp, std::string* out) {
  if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = kReplacementChar;
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

char32_t LowerCodePoint(char32_t cp) {
  if (cp < 0x80) return (cp >= 'A' && cp <= 'Z') ? cp + 0x20 : cp;
  // Latin-1: À..Þ except the multiplication sign.
  if (cp >= 0xC0 && cp <= 0xDE) return cp == 0xD7 ? cp : cp + 0x20;
  if (cp < 0x100) return cp;
  // Latin Extended-A.
  if (cp == 0x130) return 'i';
  if (cp == 0x178) return 0xFF;
  if (char32_t r = AlternatingLower(cp, 0x100, 0x12F, true)) return r;
  if (char32_t r = AlternatingLower(cp, 0x132, 0x137, true)) return r;
  if (char32_t r = AlternatingLower(cp, 0x139, 0x148, false)) return r;
  if (char32_t r = AlternatingLower(cp, 0x14A, 0x177, true)) return r;
  if (char32_t r = AlternatingLower(cp, 0x179, 0x17E, false)) return r;
  // Latin Extended-B: the regular runs only.
  if (char32_t r = AlternatingLower(cp, 0x1CD, 0x1DC, false)) return r;
  if (char32_t r = AlternatingLower(cp, 0x1DE, 0x1EF, true)) return r;
  if (char32_t r = AlternatingLower(cp, 0x1F8, 0x21F, true)) return r;
  if (char32_t r = AlternatingLower(cp, 0x222, 0x233, true)) return r;
  if (char32_t r = AlternatingLower(cp, 0x246, 0x24F, true)) return r;
  // Greek.
  if (cp == 0x386) return 0x3AC;
  if (cp >= 0x388 && cp <= 0x38A) return cp + 0x25;
  if (cp == 0x38C) return 0x3CC;
  if (cp == 0x38E || cp == 0x38F) return cp + 0x3F;
  if (cp >= 0x391 && cp <= 0x3AB && cp != 0x3A2) return cp + 0x20;
  if (char32_t r = AlternatingLower(cp, 0x3D8, 0x3EF, true)) return r;
  // Cyrillic and Cyrillic Supplement.
  if (cp >= 0x400 && cp <= 0x40F) return cp + 0x50;
  if (cp >= 0x410 && cp <= 0x42F) return cp + 0x20;
  if (char32_t r = AlternatingLower(cp, 0x460, 0x481, true)) return r;
  if (char32_t r = AlternatingLower(cp, 0x48A, 0x4BF, true)) return r;
  if (cp == 0x4C0) return 0x4CF;
  if (char32_t r = AlternatingLower(cp, 0x4C1, 0x4CE, false)) return r;
  if (char32_t r = AlternatingLower(cp, 0x4D0, 0x52F, true)) return r;
  // Armenian.
  if (cp >= 0x531 && cp <= 0x556) return cp + 0x30;
  // Latin Extended Additional (ẞ maps to ß).
  if (cp == 0x1E9E) return 0xDF;
  if (char32_t r = AlternatingLower(cp, 0x1E00, 0x1E95, true)) return r;
  if (char32_t r = AlternatingLower(cp, 0x1EA0, 0x1EFF, true)) return r;
  // Fullwidth Latin capitals.
  if (cp >= 0xFF21 && cp <= 0xFF3A) return cp + 0x20;
  return cp;
}

std::string LowerUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    const unsigned char byte = static_cast<unsigned char>(text[pos]);
    if (byte < 0x80) {  // fast path: most agent text is ASCII
      out.push_back(static_cast<char>(byte >= 'A' && byte <= 'Z' ? byte + 0x20 : byte));
      ++pos;
      continue;
    }
    AppendUtf8(LowerCodePoint(DecodeUtf8(text, &pos)), &out);
  }
  return out;
}

std::string_view CutUtf8(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  size_t cut = max_bytes;
  while (cut > 0 && IsContinuation(static_cast<unsigned char>(text[cut]))) --cut;
  return text.substr(0, cut);
}

std::string_view TrimAsciiSpace(std::string_view text) {
  const auto is_space = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
  };
  size_t begin = 0;
  size_t end = text.size();
  while (begin < end && is_space(text[begin])) ++begin;
  while (end > begin && is_space(text[end - 1])) --end;
  return text.substr(begin, end - begin);
}

}  // namespace vigil
