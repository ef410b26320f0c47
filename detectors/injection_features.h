// The features of the prompt-injection classifier: hashed character and word n-grams.
//
// Text is first reduced to what the words say, so that the classifier keys on wording rather than
// on the layout of any one source (table pipes, e-mail headers, markdown): NormalizeForInjection's
// evasion folding, Unicode lower-casing, every digit to '0', and every run of characters that are
// neither letters nor digits to one space. Features are then byte n-grams of that text (spanning
// word boundaries, so "e all" carries a little word order) and word n-grams up to trigrams, each
// hashed into 2^bucket_bits buckets. Every feature also reports the index of the word it starts
// in, so a scorer can sum features over windows of words.
//
// The trainer (tools/) and the detector share this code: a model is only valid with the
// FeatureConfig it was trained with, which is why the model file records it. Pure, thread-safe.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vigil {

struct FeatureConfig {
  uint32_t char_min = 3;  // byte n-gram lengths, inclusive
  uint32_t char_max = 5;
  // Word n-grams up to this length (0 = none, 1 = unigrams, 2 = bigrams, 3 = trigrams).
  uint32_t word_max = 2;
  uint32_t bucket_bits = 18;
  // Shape n-grams of 2 up to this many words (0 = none): word n-grams in which every word outside
  // `vocabulary` reads as one placeholder, so "describe the X of X over the past X" is one
  // feature whatever the topic words are. An instruction is told by how it is put, and topic
  // words an attack shares with ordinary documents would otherwise pull its evidence down.
  uint32_t shape_max = 0;
  std::vector<uint64_t> vocabulary;  // WordHash of the words kept, ascending, no repeats

  static constexpr uint32_t kMaxShapeWords = 4;
  static constexpr size_t kMaxVocabulary = size_t{1} << 16;

  bool Valid() const {
    return char_min >= 1 && char_min <= char_max && char_max <= 8 && word_max <= 3 &&
           bucket_bits >= 8 && bucket_bits <= 24 && shape_max <= kMaxShapeWords && shape_max != 1 &&
           (shape_max == 0) == vocabulary.empty() && vocabulary.size() <= kMaxVocabulary &&
           std::adjacent_find(vocabulary.begin(), vocabulary.end(),
                              [](uint64_t a, uint64_t b) { return a >= b; }) == vocabulary.end();
  }
};

// The text the features are taken from: starts and ends with one space, words (runs of letters
// and digits) separated by exactly one space; "" becomes " ". Never fails on invalid UTF-8.
std::string ClassifierText(std::string_view text);

// ClassifierText plus where the raw text's sentences start: the index of the first word after
// each line break and after each '.', '!' or '?' followed by white space, ascending, without
// repeats (0 is never listed).
struct PreparedText {
  std::string text;
  std::vector<uint32_t> sentence_starts;
};
PreparedText PrepareText(std::string_view text);

namespace injection_features_internal {

constexpr uint64_t kFnvPrime = 0x100000001b3ULL;
constexpr uint64_t kCharSeed = 0xcbf29ce484222325ULL;
constexpr uint64_t kWordSeed = 0x84222325cbf29ce4ULL;
constexpr uint64_t kSentenceSalt = 0x5be0cd19137e2179ULL;
constexpr uint64_t kShapeSalt = 0x1f83d9abfb41bd6bULL;
constexpr uint64_t kOtherWord = 0x6a09e667f3bcc908ULL;  // a word outside the shape vocabulary

// Fibonacci hashing: the top bits of h * 2^64/phi spread even similar hashes over all buckets.
inline uint32_t Bucket(uint64_t h, uint32_t bits) {
  return static_cast<uint32_t>((h * 0x9E3779B97F4A7C15ULL) >> (64 - bits));
}

}  // namespace injection_features_internal

// The hash of a word of ClassifierText (without its spaces), as FeatureConfig::vocabulary
// lists it.
inline uint64_t WordHash(std::string_view word) {
  uint64_t h = injection_features_internal::kWordSeed;
  for (unsigned char c : word) h = (h ^ c) * injection_features_internal::kFnvPrime;
  return h;
}

// Calls sink(bucket, word_index) for every feature of `text` (ClassifierText output), in text
// order. Words at the start of a sentence (word 0 and every index in `sentence_starts`, ascending)
// also give a "sentence starts with this word" feature: an instruction usually opens with its
// verb or question word. REQUIRES: config.Valid(). Inline because scoring cost is dominated by
// this loop.
template <typename Sink>
void ForEachFeature(std::string_view text, const std::vector<uint32_t>& sentence_starts,
                    const FeatureConfig& config, Sink&& sink) {
  using namespace injection_features_internal;
  const uint32_t bits = config.bucket_bits;
  const size_t size = text.size();
  uint32_t word = 0;
  uint64_t word_hash = kWordSeed;
  uint64_t previous_word = 0;                           // 0 = no previous word yet
  uint64_t second_previous = 0;                         // the word before that, 0 = none
  size_t next_start = 0;                                // index into sentence_starts
  uint64_t shapes[FeatureConfig::kMaxShapeWords] = {};  // the last words' shapes, newest first
  for (size_t p = 0; p < size; ++p) {
    const auto byte = static_cast<unsigned char>(text[p]);
    if (byte == ' ' && p > 0) {
      // A word just ended: its unigram, its bigram and trigram with the words before it, and
      // whether it opens a sentence.
      if (config.word_max >= 1) sink(Bucket(word_hash, bits), word);
      if (config.word_max >= 2 && previous_word != 0) {
        sink(Bucket((previous_word ^ (word_hash >> 1)) * kFnvPrime + 0x2545F491, bits), word);
      }
      while (next_start < sentence_starts.size() && sentence_starts[next_start] < word) {
        ++next_start;
      }
      const bool opens =
          word == 0 || (next_start < sentence_starts.size() && sentence_starts[next_start] == word);
      if (config.word_max >= 3 && second_previous != 0) {
        sink(Bucket(((second_previous * kFnvPrime) ^ (previous_word >> 1) ^ (word_hash >> 2)) *
                            kFnvPrime +
                        0x7A3C5E91,
                    bits),
             word);
      }
      if (opens) sink(Bucket(word_hash * kFnvPrime + kSentenceSalt, bits), word);
      if (config.shape_max != 0) {
        for (size_t k = FeatureConfig::kMaxShapeWords - 1; k > 0; --k) shapes[k] = shapes[k - 1];
        shapes[0] =
            std::binary_search(config.vocabulary.begin(), config.vocabulary.end(), word_hash)
                ? word_hash
                : kOtherWord;
        uint64_t h = kShapeSalt;
        for (uint32_t n = 0; n < config.shape_max && shapes[n] != 0; ++n) {
          h = (h ^ (shapes[n] >> n)) * kFnvPrime;
          if (n != 0) sink(Bucket(h + n, bits), word);
        }
      }
      second_previous = previous_word;
      previous_word = word_hash;
      word_hash = kWordSeed;
      ++word;
    } else if (byte != ' ') {
      word_hash = (word_hash ^ byte) * kFnvPrime;
    }
    uint64_t h = kCharSeed;
    const size_t end = p + config.char_max <= size ? p + config.char_max : size;
    for (size_t q = p; q < end; ++q) {
      h = (h ^ static_cast<unsigned char>(text[q])) * kFnvPrime;
      if (q + 1 - p >= config.char_min) sink(Bucket(h + (q - p), bits), word);
    }
  }
}

// The features of a prepared text.
template <typename Sink>
void ForEachFeature(const PreparedText& prepared, const FeatureConfig& config, Sink&& sink) {
  ForEachFeature(prepared.text, prepared.sentence_starts, config, std::forward<Sink>(sink));
}

}  // namespace vigil
