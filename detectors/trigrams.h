// Character-trigram bags and cosine distance (docs/detection.md#similar-call-loop), shared by the
// similar-call loop and lexical drift detectors.
//
// Text is lower-cased per code point (see LowerCodePoint for the limits), runs of \n \t \r and
// space become one space, and each window of three consecutive code points counts as a trigram
// unless two or more of them are punctuation (anything but space and ASCII [A-Za-z0-9]; non-ASCII
// letters count as punctuation). Pure, thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vigil {

// A trigram packed as three 21-bit code points, first code point in the high bits. Comparing keys
// as integers orders trigrams exactly as comparing their UTF-8 encodings byte-wise does (UTF-8
// preserves code point order), so sorting needs no strings.
using TrigramKey = uint64_t;

// The UTF-8 text of a packed trigram.
std::string TrigramText(TrigramKey key);

// Trigram -> number of occurrences, as a vector sorted by key with no repeated key, so a dot
// product is one linear merge and building a bag is one sort. The norm is computed once.
struct TrigramBag {
  std::vector<std::pair<TrigramKey, int64_t>> entries;
  double norm = 0;  // Euclidean norm of the counts

  bool empty() const { return entries.empty(); }
  // Occurrences of `trigram` (UTF-8); 0 when absent. For tests and diagnostics.
  int64_t Count(std::string_view trigram) const;
};

// The bag of one string.
TrigramBag Trigrams(std::string_view text);

// One bag over several strings: counts add up, and no trigram spans two strings.
TrigramBag CombinedTrigrams(const std::vector<std::string_view>& texts);

// 1 - cos(a, b), with the similarity clamped to [0, 1]; 1 when either bag is empty.
double CosineDistance(const TrigramBag& a, const TrigramBag& b);

// The `n` most frequent trigrams as UTF-8, count descending then trigram ascending byte-wise (all
// of them when the bag holds fewer).
std::vector<std::string> TopTrigrams(const TrigramBag& bag, size_t n);

}  // namespace vigil
