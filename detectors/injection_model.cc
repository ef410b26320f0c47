#include "detectors/injection_model.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace vigil {
namespace {

constexpr std::string_view kMagic = "VIGILINJ";
constexpr uint32_t kVersion = 4;
// Windows of retrieved content: bounded so a hostile model file cannot make scoring quadratic.
constexpr uint32_t kMaxWindowWords = 4096;
// A retrieved text needs this many segments for its own median to say what is typical of it.
constexpr size_t kOwnMedianSegments = 3;
// Bounds on the model file's outlier rule: a penalty beyond this would flag nothing, and the
// spread needs a few segments to be measured at all.
constexpr float kMaxSpreadPenalty = 16;
constexpr uint32_t kMinSpreadSegments = 4;
// A neighbourhood is scanned once per segment: bounded so a hostile model file cannot make scoring
// slow.
constexpr uint32_t kMaxNeighbourhoodSegments = 64;
// The interquartile range of normally distributed values is 1.349 standard deviations.
constexpr double kIqrPerSigma = 1.349;

class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}

  bool U32(uint32_t* out) {
    if (bytes_.size() - pos_ < 4) return false;
    uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(bytes_[pos_ + i]);
    pos_ += 4;
    *out = v;
    return true;
  }
  bool F32(float* out) {
    uint32_t bits;
    if (!U32(&bits)) return false;
    std::memcpy(out, &bits, sizeof bits);
    return std::isfinite(*out);
  }
  bool U64(uint64_t* out) {
    uint32_t low = 0;
    uint32_t high = 0;
    if (!U32(&low) || !U32(&high)) return false;
    *out = (uint64_t{high} << 32) | low;
    return true;
  }
  bool Bytes(size_t n, std::string_view* out) {
    if (bytes_.size() - pos_ < n) return false;
    *out = bytes_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  bool AtEnd() const { return pos_ == bytes_.size(); }

 private:
  std::string_view bytes_;
  size_t pos_ = 0;
};

void PutU32(uint32_t v, std::string* out) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

void PutU64(uint64_t v, std::string* out) {
  PutU32(static_cast<uint32_t>(v), out);
  PutU32(static_cast<uint32_t>(v >> 32), out);
}

// A head's shape features: u32 shape_max, u32 vocabulary size, then the vocabulary's u64 hashes.
bool ReadShape(Reader* in, FeatureConfig* c) {
  uint32_t size = 0;
  if (!in->U32(&c->shape_max) || !in->U32(&size) || size > FeatureConfig::kMaxVocabulary) {
    return false;
  }
  c->vocabulary.resize(size);
  for (uint64_t& h : c->vocabulary) {
    if (!in->U64(&h)) return false;
  }
  return true;
}

void PutF32(float f, std::string* out) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  PutU32(bits, out);
}

double Sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

InjectionScore Judge(const InjectionHead& head, double logit) {
  InjectionScore score;
  score.logit = logit;
  score.probability = Sigmoid(head.calibration_slope * logit + head.calibration_intercept);
  score.flagged = score.probability >= head.threshold;
  return score;
}

}  // namespace

Result<InjectionModel> InjectionModel::Parse(std::string_view bytes) {
  Reader in(bytes);
  std::string_view magic;
  uint32_t version = 0;
  InjectionModel model;
  if (!in.Bytes(kMagic.size(), &magic) || magic != kMagic || !in.U32(&version)) {
    return Status::InvalidArgument("not an injection model file");
  }
  if (version != kVersion) return Status::InvalidArgument("unsupported injection model version");
  if (!in.U32(&model.window_words) || !in.U32(&model.window_stride) ||
      !in.U32(&model.min_segment_words)) {
    return Status::InvalidArgument("truncated injection model header");
  }
  if (!in.F32(&model.typical_floor) || !in.F32(&model.spread_penalty) ||
      !in.U32(&model.spread_from_segments) || !in.U32(&model.neighbourhood_segments)) {
    return Status::InvalidArgument("truncated injection model header");
  }
  if (!model.ConfigurationValid()) {
    return Status::InvalidArgument("injection model configuration out of range");
  }
  for (InjectionHead& head : model.heads) {
    FeatureConfig& c = head.features;
    if (!in.U32(&c.char_min) || !in.U32(&c.char_max) || !in.U32(&c.word_max) ||
        !in.U32(&c.bucket_bits) || !in.F32(&head.bias) || !in.F32(&head.scale) ||
        !in.F32(&head.calibration_slope) || !in.F32(&head.calibration_intercept) ||
        !in.F32(&head.threshold) || !ReadShape(&in, &c)) {
      return Status::InvalidArgument("truncated injection model head");
    }
    if (!c.Valid()) return Status::InvalidArgument("injection model features out of range");
  }
  for (InjectionHead& head : model.heads) {
    const size_t buckets = size_t{1} << head.features.bucket_bits;
    std::string_view raw;
    if (!in.Bytes(buckets, &raw)) return Status::InvalidArgument("truncated injection weights");
    head.weights.resize(buckets);
    std::memcpy(head.weights.data(), raw.data(), buckets);
  }
  if (!in.AtEnd()) return Status::InvalidArgument("trailing bytes after injection model");
  return model;
}

bool InjectionModel::ConfigurationValid() const {
  return window_words > 0 && window_words <= kMaxWindowWords && window_stride > 0 &&
         window_stride <= window_words && min_segment_words <= window_words &&
         std::isfinite(typical_floor) && spread_penalty >= 0 &&
         spread_penalty <= kMaxSpreadPenalty && spread_from_segments >= kMinSpreadSegments &&
         neighbourhood_segments <= kMaxNeighbourhoodSegments;
}

std::string InjectionModel::Serialize() const {
  std::string out(kMagic);
  PutU32(kVersion, &out);
  for (uint32_t v : {window_words, window_stride, min_segment_words}) PutU32(v, &out);
  PutF32(typical_floor, &out);
  PutF32(spread_penalty, &out);
  PutU32(spread_from_segments, &out);
  PutU32(neighbourhood_segments, &out);
  for (const InjectionHead& head : heads) {
    const FeatureConfig& c = head.features;
    for (uint32_t v : {c.char_min, c.char_max, c.word_max, c.bucket_bits}) PutU32(v, &out);
    PutF32(head.bias, &out);
    PutF32(head.scale, &out);
    PutF32(head.calibration_slope, &out);
    PutF32(head.calibration_intercept, &out);
    PutF32(head.threshold, &out);
    PutU32(c.shape_max, &out);
    PutU32(static_cast<uint32_t>(c.vocabulary.size()), &out);
    for (uint64_t h : c.vocabulary) PutU64(h, &out);
  }
  for (const InjectionHead& head : heads) {
    out.append(reinterpret_cast<const char*>(head.weights.data()), head.weights.size());
  }
  return out;
}

InjectionScore InjectionModel::Score(InjectionChannel channel, std::string_view text) const {
  const PreparedText prepared = PrepareText(text);
  const InjectionHead& h = head(channel);
  if (channel == InjectionChannel::kMessage) {
    const int8_t* weights = h.weights.data();
    int64_t sum = 0;
    int64_t count = 0;
    ForEachFeature(prepared, h.features, [&](uint32_t bucket, uint32_t) {
      sum += weights[bucket];
      ++count;
    });
    if (count == 0) return InjectionScore();
    return Judge(h, h.bias + h.scale * static_cast<double>(sum) / std::sqrt(count));
  }
  const std::vector<double> evidence = SegmentEvidence(prepared);
  if (evidence.empty()) return InjectionScore();
  std::vector<double> sorted(evidence);
  std::sort(sorted.begin(), sorted.end());
  return Judge(h, h.bias + StrongestContrast(evidence, sorted) - ChancePenalty(sorted));
}

double InjectionModel::StrongestContrast(const std::vector<double>& in_order,
                                         const std::vector<double>& sorted) const {
  // A segment is measured against the segments around it, not the whole document's: an injected
  // e-mail pasted into a long README stands out from the e-mail's lines, while next to the
  // README's own instructions to its reader it would not. A text too short to have a
  // neighbourhood of its own is measured against all of it.
  const size_t n = in_order.size();
  const size_t reach = neighbourhood_segments;
  const size_t width = 2 * reach + 1;
  if (reach == 0 || n <= width) return sorted.back() - TypicalEvidence(sorted);
  std::vector<double> around;
  around.reserve(width - 1);
  const auto contrast = [&](size_t i) {
    // `width` segments centred on i, shifted inward at the text's ends so every segment has as
    // many neighbours.
    const size_t first = std::min(i >= reach ? i - reach : 0, n - width);
    around.clear();
    for (size_t j = first; j < first + width; ++j) {
      if (j != i) around.push_back(in_order[j]);
    }
    const auto median = around.begin() + static_cast<std::ptrdiff_t>((around.size() - 1) / 2);
    std::nth_element(around.begin(), median, around.end());
    return in_order[i] - std::max<double>(*median, typical_floor);
  };
  // Seeded with the strongest segment's contrast: any segment's is at most its evidence -
  // typical_floor, so a segment whose bound cannot beat the best found is not measured.
  const size_t top =
      static_cast<size_t>(std::max_element(in_order.begin(), in_order.end()) - in_order.begin());
  double strongest = contrast(top);
  for (size_t i = 0; i < n; ++i) {
    if (i != top && in_order[i] - typical_floor > strongest) {
      strongest = std::max(strongest, contrast(i));
    }
  }
  return strongest;
}

double InjectionModel::TypicalEvidence(const std::vector<double>& sorted) const {
  // The strongest segment is measured against the document's typical (median) segment: an
  // injection is an instruction that stands out from the text around it, while a document that
  // is instruction-like throughout (a how-to, a chat transcript, a prompt library) raises every
  // segment and its median with them. A text of one or two segments has no typical segment of its
  // own: its strongest segment stands alone. The floor keeps a document of mostly inert segments
  // (lists of numbers, keys, hashes) from making its one ordinary sentence look like an outlier.
  if (sorted.size() < kOwnMedianSegments) return 0.0;
  return std::max<double>(sorted[(sorted.size() - 1) / 2], typical_floor);
}

double InjectionModel::ChancePenalty(const std::vector<double>& sorted) const {
  // The strongest of n segments drawn from one document's spread of scores lies about
  // sqrt(2 ln n) spreads above the typical one by chance alone, so a long file, a README or a
  // source file of hundreds of lines, would have an outlier where a short e-mail has none. The
  // penalty takes back that growth beyond spread_from_segments segments, measured in the
  // document's own spread (its interquartile range, robust to the outlier itself).
  const size_t n = sorted.size();
  if (spread_penalty <= 0 || n <= spread_from_segments) return 0.0;
  const double spread = (sorted[(3 * n) / 4] - sorted[n / 4]) / kIqrPerSigma;
  const double excess = std::sqrt(2 * std::log(static_cast<double>(n))) -
                        std::sqrt(2 * std::log(static_cast<double>(spread_from_segments)));
  return spread_penalty * spread * excess;
}

std::vector<double> InjectionModel::SegmentEvidence(const PreparedText& prepared) const {
  const InjectionHead& h = head(InjectionChannel::kRetrieved);
  const int8_t* weights = h.weights.data();
  // Per-word prefix sums, so each segment's sum is one difference.
  std::vector<int64_t> sum(1, 0);
  std::vector<int64_t> count(1, 0);
  ForEachFeature(prepared, h.features, [&](uint32_t bucket, uint32_t word) {
    while (sum.size() <= word + 1) {
      sum.push_back(sum.back());
      count.push_back(count.back());
    }
    sum.back() += weights[bucket];
    ++count.back();
  });
  std::vector<double> evidence;
  for (const auto& [begin, end] :
       RetrievedSegments(sum.size() - 1, prepared.sentence_starts, window_words, window_stride,
                         min_segment_words)) {
    const int64_t n = count[end] - count[begin];
    if (n > 0)
      evidence.push_back(h.scale * static_cast<double>(sum[end] - sum[begin]) / std::sqrt(n));
  }
  return evidence;
}

std::vector<std::pair<size_t, size_t>> RetrievedSegments(
    size_t words, const std::vector<uint32_t>& sentence_starts, size_t window_words, size_t stride,
    size_t min_words) {
  // Sentences, short ones joined to the next.
  std::vector<std::pair<size_t, size_t>> sentences;
  size_t begin = 0;
  for (size_t k = 0; k <= sentence_starts.size(); ++k) {
    const size_t end =
        k < sentence_starts.size() ? std::min<size_t>(sentence_starts[k], words) : words;
    if (end <= begin || (end - begin < min_words && end < words)) continue;
    sentences.emplace_back(begin, end);
    begin = end;
  }
  if (sentences.size() > 1 && sentences.back().second - sentences.back().first < min_words) {
    sentences[sentences.size() - 2].second = sentences.back().second;
    sentences.pop_back();
  }
  // Long sentences (or texts without any punctuation) in windows.
  std::vector<std::pair<size_t, size_t>> segments;
  for (const auto& [first, last] : sentences) {
    if (last - first <= window_words) {
      segments.emplace_back(first, last);
      continue;
    }
    for (size_t at = first; at + window_words < last; at += stride) {
      segments.emplace_back(at, at + window_words);
    }
    segments.emplace_back(last - window_words, last);
  }
  return segments;
}

const InjectionModel& EmbeddedInjectionModel() {
  static const InjectionModel model = [] {
    Result<InjectionModel> parsed = InjectionModel::Parse(EmbeddedInjectionModelBytes());
    if (!parsed.ok()) {
      std::fprintf(stderr, "embedded injection model: %s\n", parsed.status().message().c_str());
      std::abort();
    }
    return std::move(parsed.value());
  }();
  return model;
}

}  // namespace vigil
