#include "detectors/trigrams.h"

#include <algorithm>
#include <cmath>

#include "detectors/unicode.h"

namespace vigil {
namespace {

constexpr int kBitsPerCodePoint = 21;  // enough for U+10FFFF
constexpr TrigramKey kCodePointMask = (TrigramKey{1} << kBitsPerCodePoint) - 1;

bool IsCollapsibleSpace(char32_t cp) { return cp == ' ' || cp == '\n' || cp == '\t' || cp == '\r'; }

// Only space and ASCII alphanumerics are "word" characters; everything else, including accented
// and non-Latin letters, is punctuation for the purpose of skipping noisy windows.
bool IsPunctuation(char32_t cp) {
  const bool alnum =
      (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9');
  return !(cp == ' ' || alnum);
}

// Appends the key of every trigram of `text` (unsorted, repeats included).
void AppendKeys(std::string_view text, std::vector<TrigramKey>* keys) {
  std::vector<char32_t> cps;
  cps.reserve(text.size());
  bool in_space_run = false;
  size_t pos = 0;
  while (pos < text.size()) {
    const char32_t cp = LowerCodePoint(DecodeUtf8(text, &pos));
    if (IsCollapsibleSpace(cp)) {
      if (!in_space_run) cps.push_back(' ');
      in_space_run = true;
    } else {
      cps.push_back(cp);
      in_space_run = false;
    }
  }
  for (size_t i = 0; i + 3 <= cps.size(); ++i) {
    const int punctuation =
        IsPunctuation(cps[i]) + IsPunctuation(cps[i + 1]) + IsPunctuation(cps[i + 2]);
    if (punctuation >= 2) continue;
    keys->push_back((TrigramKey{cps[i]} << (2 * kBitsPerCodePoint)) |
                    (TrigramKey{cps[i + 1]} << kBitsPerCodePoint) | TrigramKey{cps[i + 2]});
  }
}

TrigramBag FromKeys(std::vector<TrigramKey> keys) {
  std::sort(keys.begin(), keys.end());
  TrigramBag bag;
  double sum_squares = 0;
  for (size_t i = 0; i < keys.size();) {
    size_t j = i;
    while (j < keys.size() && keys[j] == keys[i]) ++j;
    const auto count = static_cast<int64_t>(j - i);
    bag.entries.emplace_back(keys[i], count);
    sum_squares += static_cast<double>(count) * static_cast<double>(count);
    i = j;
  }
  bag.norm = std::sqrt(sum_squares);
  return bag;
}

}  // namespace

std::string TrigramText(TrigramKey key) {
  std::string text;
  AppendUtf8(static_cast<char32_t>((key >> (2 * kBitsPerCodePoint)) & kCodePointMask), &text);
  AppendUtf8(static_cast<char32_t>((key >> kBitsPerCodePoint) & kCodePointMask), &text);
  AppendUtf8(static_cast<char32_t>(key & kCodePointMask), &text);
  return text;
}

int64_t TrigramBag::Count(std::string_view trigram) const {
  for (const auto& [key, count] : entries) {
    if (TrigramText(key) == trigram) return count;
  }
  return 0;
}

TrigramBag Trigrams(std::string_view text) {
  std::vector<TrigramKey> keys;
  AppendKeys(text, &keys);
  return FromKeys(std::move(keys));
}

TrigramBag CombinedTrigrams(const std::vector<std::string_view>& texts) {
  std::vector<TrigramKey> keys;
  for (std::string_view text : texts) AppendKeys(text, &keys);
  return FromKeys(std::move(keys));
}

double CosineDistance(const TrigramBag& a, const TrigramBag& b) {
  if (a.empty() || b.empty()) return 1.0;
  double dot = 0;
  size_t i = 0;
  size_t j = 0;
  while (i < a.entries.size() && j < b.entries.size()) {
    if (a.entries[i].first < b.entries[j].first) {
      ++i;
    } else if (b.entries[j].first < a.entries[i].first) {
      ++j;
    } else {
      dot += static_cast<double>(a.entries[i].second) * static_cast<double>(b.entries[j].second);
      ++i;
      ++j;
    }
  }
  return 1.0 - std::clamp(dot / (a.norm * b.norm), 0.0, 1.0);
}

std::vector<std::string> TopTrigrams(const TrigramBag& bag, size_t n) {
  std::vector<std::pair<TrigramKey, int64_t>> entries = bag.entries;
  const size_t keep = std::min(n, entries.size());
  // Keys order like the UTF-8 bytes, so ties are broken on the key itself.
  std::partial_sort(entries.begin(), entries.begin() + keep, entries.end(),
                    [](const auto& x, const auto& y) {
                      if (x.second != y.second) return x.second > y.second;
                      return x.first < y.first;
                    });
  std::vector<std::string> top;
  top.reserve(keep);
  for (size_t i = 0; i < keep; ++i) top.push_back(TrigramText(entries[i].first));
  return top;
}

}  // namespace vigil
