// The prompt-injection classifier: two logistic-regression heads over hashed n-grams
// (injection_features.h), one for what a user writes and one for content an agent retrieves.
//
// Why two heads: the same sentence means different things in the two places. "Write a poem about
// the sea" is an ordinary request from a user but an injection inside a fetched e-mail, so the
// message head learns jailbreak and override wording against ordinary requests, while the
// retrieved head learns instructions addressed to the assistant against ordinary documents, tool
// output and code.
//
// How a text is scored: a head's weights are int8 with one scale, so a text's evidence is an
// integer sum (exact, the same on every machine) scaled once:
//   evidence = scale * sum(weights of the text's features) / sqrt(number of features).
// A message is scored whole: logit = bias + evidence. Retrieved content is scored sentence by
// sentence (RetrievedSegments): logit = bias + the largest contrast of a sentence with the text
// around it - a chance penalty, because an injection is a sentence or two that stands out from
// the document around it; averaging over the whole document would drown it.
// - A sentence's contrast is its evidence minus the median evidence of the
//   2 * neighbourhood_segments sentences around it (near either end the window shifts inward and
//   still holds as many), that median counted as at least typical_floor.
// - A text of at most 2 * neighbourhood_segments + 1 sentences (or any text, with
//   neighbourhood_segments 0) has one contrast: its strongest sentence's evidence minus its median
//   sentence's, at least typical_floor (minus 0 for a text of fewer than three sentences).
// - The chance penalty, for a text of n > spread_from_segments sentences, is spread_penalty * the
//   sentences' spread (interquartile range / 1.349) * (sqrt(2 ln n) - sqrt(2 ln
//   spread_from_segments)): how far the strongest of n sentences rises by chance alone.
// The logit is then calibrated into a probability, and the head's threshold applies to that.
//
// The model file (docs/injection-model.md has the recipe, tools/train_injection_model.cc writes
// it) is little-endian: "VIGILINJ", u32 version (4), u32 window_words, window_stride,
// min_segment_words, f32 typical_floor, spread_penalty, u32 spread_from_segments,
// neighbourhood_segments; per head (message, retrieved): u32 char_min, char_max, word_max,
// bucket_bits (its FeatureConfig: the heads may hash different features into spaces of different
// sizes), f32 bias, scale, calibration_slope, calibration_intercept, threshold, u32 shape_max,
// u32 vocabulary size, that many u64 vocabulary word hashes; then each head's 2^bucket_bits int8
// weights. Thread-safe after construction.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "detectors/injection_features.h"
#include "domain/status.h"

namespace vigil {

// Where a text comes from, which decides the head that reads it.
enum class InjectionChannel {
  kMessage,    // a user message (or, when a policy asks, a system prompt)
  kRetrieved,  // a tool result or other retrieved content
};

struct InjectionHead {
  FeatureConfig features;  // the features this head's weights are indexed by
  float bias = 0;
  float scale = 0;  // a weight is scale * int8
  // probability = sigmoid(slope * logit + intercept), fitted on held-out scores (Platt scaling)
  // so that a probability reads as the odds that the text is an injection.
  float calibration_slope = 1;
  float calibration_intercept = 0;
  float threshold = 1;          // flagged when the probability is at least this
  std::vector<int8_t> weights;  // 2^features.bucket_bits entries
};

struct InjectionScore {
  double logit = 0;  // before calibration
  double probability = 0;
  bool flagged = false;
};

class InjectionModel {
 public:
  InjectionModel() = default;

  // Parses a model file. InvalidArgument when it is truncated, of another version, or its
  // configuration is out of range.
  static Result<InjectionModel> Parse(std::string_view bytes);
  // The model file of this model (Parse(Serialize()) gives it back exactly).
  std::string Serialize() const;
  // Whether the windows and the retrieved-content rule's settings are in the range Parse accepts
  // (the heads' features are checked by FeatureConfig::Valid).
  bool ConfigurationValid() const;

  // The score of `text` read from `channel`; probability 0 (never flagged) when the text has no
  // letters or digits.
  InjectionScore Score(InjectionChannel channel, std::string_view text) const;

  uint32_t window_words = 32;
  uint32_t window_stride = 16;
  uint32_t min_segment_words = 3;
  float typical_floor = -3;             // retrieved content: the least the typical evidence counts
  float spread_penalty = 0;             // retrieved content: 0 turns the chance penalty off
  uint32_t spread_from_segments = 8;    // retrieved content: no chance penalty up to this many
  uint32_t neighbourhood_segments = 0;  // retrieved content: 0 compares with the whole text
  std::array<InjectionHead, 2> heads;   // indexed by InjectionChannel

  // The parts of the retrieved-content rule (see the scoring rule above), given the segments'
  // evidence in text order and the same sorted ascending. StrongestContrast gives the largest
  // contrast of a segment with what is typical around it; TypicalEvidence is what a text too short
  // for neighbourhoods is measured against; ChancePenalty is the penalty of the text's length.
  double StrongestContrast(const std::vector<double>& in_order,
                           const std::vector<double>& sorted) const;
  double TypicalEvidence(const std::vector<double>& sorted) const;
  double ChancePenalty(const std::vector<double>& sorted) const;

  InjectionHead& head(InjectionChannel channel) { return heads[static_cast<size_t>(channel)]; }
  const InjectionHead& head(InjectionChannel channel) const {
    return heads[static_cast<size_t>(channel)];
  }

 private:
  // The retrieved head's evidence of each segment of `text` (RetrievedSegments), in order.
  std::vector<double> SegmentEvidence(const PreparedText& text) const;
};

// The segments of a retrieved text of `words` words whose sentences start at `sentence_starts`
// (PrepareText), as [begin, end) word ranges: its sentences and lines, a segment shorter than
// `min_words` joined to the one after it (the last to the one before), and a segment longer than
// `window_words` cut into windows of that many words every `stride` words, the last window ending
// at the segment's end. REQUIRES: 0 < stride <= window_words. The trainer cuts its training
// segments with the same function.
std::vector<std::pair<size_t, size_t>> RetrievedSegments(
    size_t words, const std::vector<uint32_t>& sentence_starts, size_t window_words, size_t stride,
    size_t min_words);

// The model built into the binary (detectors/injection_model.bin, embedded at build time).
// Parsed once, on first use; a malformed embedded model is a build error caught by the tests, so
// this aborts rather than returning a status.
const InjectionModel& EmbeddedInjectionModel();

// The embedded model file's bytes (generated source).
std::string_view EmbeddedInjectionModelBytes();

}  // namespace vigil
