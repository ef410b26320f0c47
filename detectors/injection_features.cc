#include "detectors/injection_features.h"

#include <array>

#include "detectors/injection_normalize.h"
#include "detectors/unicode.h"

namespace vigil {
namespace {

// ASCII byte -> what the classifier keeps: lower-case letters, '0' for digits, ' ' for the rest.
constexpr std::array<char, 128> MakeAsciiMap() {
  std::array<char, 128> map{};
  for (int c = 0; c < 128; ++c) {
    if (c >= 'a' && c <= 'z') {
      map[c] = static_cast<char>(c);
    } else if (c >= 'A' && c <= 'Z') {
      map[c] = static_cast<char>(c + ('a' - 'A'));
    } else if (c >= '0' && c <= '9') {
      map[c] = '0';
    } else {
      map[c] = ' ';
    }
  }
  return map;
}
constexpr std::array<char, 128> kAsciiMap = MakeAsciiMap();
constexpr size_t kMaxWordBytes = 32;

// Non-ASCII code points that are punctuation, symbols, emoji or private use rather than letters:
// they separate words like ASCII punctuation does. Coarse ranges on purpose; a letter that lands
// in one merely splits a word.
bool IsSeparator(char32_t cp) {
  return cp < 0xC0 || cp == 0xD7 || cp == 0xF7 || (cp >= 0x2000 && cp <= 0x2BFF) ||
         (cp >= 0x2E00 && cp <= 0x2E7F) || (cp >= 0x3000 && cp <= 0x303F) ||
         (cp >= 0xE000 && cp <= 0xF8FF) || (cp >= 0xFE10 && cp <= 0xFE6F) ||
         (cp >= 0xFF00 && cp <= 0xFF0F) || (cp >= 0x1F000 && cp <= 0x1FAFF) ||
         cp == kReplacementChar;
}

// Ends the current word (returns whether one was kept). A word longer than kMaxWordBytes is not
// language (base64, hex, hashes, minified code) and its n-grams would be noise, so it is dropped; a
// run of digits is kept as one '0', since which number a text holds says nothing about whether it
// is an injection.
bool EndWord(std::string* out, size_t* word_start) {
  const size_t length = out->size() - *word_start;
  const bool kept = length > 0 && length <= kMaxWordBytes;
  if (kept) {
    out->push_back(' ');
  } else {
    out->resize(*word_start);
  }
  *word_start = out->size();
  return kept;
}

void PutChar(char c, std::string* out) {
  if (c == '0' && out->back() == '0') return;
  out->push_back(c);
}

}  // namespace

PreparedText PrepareText(std::string_view text) {
  PreparedText prepared;
  std::string& out = prepared.text;
  out.reserve(text.size() + 2);
  out.push_back(' ');
  size_t word_start = 1;
  uint32_t words = 0;  // words ended so far
  const auto end_word = [&] { words += EndWord(&out, &word_start); };
  const auto sentence_break = [&] {
    end_word();
    auto& starts = prepared.sentence_starts;
    if (words > 0 && (starts.empty() || starts.back() != words)) starts.push_back(words);
  };
  size_t i = 0;
  while (i < text.size()) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x80) {
      ++i;
      const bool ends_sentence =
          byte == '\n' || ((byte == '.' || byte == '!' || byte == '?') &&
                           (i == text.size() || text[i] == ' ' || text[i] == '\n' ||
                            text[i] == '\t' || text[i] == '\r'));
      if (ends_sentence) {
        sentence_break();
        continue;
      }
      const char c = kAsciiMap[byte];
      c == ' ' ? end_word() : PutChar(c, &out);
      continue;
    }
    const char32_t folded = NormalizeInjectionCodePoint(DecodeUtf8(text, &i));
    if (folded == 0) continue;  // invisible: removed, so it cannot split a word
    if (folded < 0x80) {
      const char c = kAsciiMap[folded];
      c == ' ' ? end_word() : PutChar(c, &out);
    } else if (IsSeparator(folded)) {
      end_word();
    } else {
      AppendUtf8(LowerCodePoint(folded), &out);
    }
  }
  end_word();
  auto& starts = prepared.sentence_starts;
  while (!starts.empty() && starts.back() >= words) starts.pop_back();
  return prepared;
}

std::string ClassifierText(std::string_view text) { return PrepareText(text).text; }

}  // namespace vigil
