#include "tools/injection_training.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <unordered_map>
#include <unordered_set>

namespace vigil::training {
namespace {

// splitmix64: a tiny, well-mixed generator, so the shuffles are the same on every platform.
uint64_t SplitMix(uint64_t* state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

size_t WordCount(std::string_view classifier_text) {
  return static_cast<size_t>(std::count(classifier_text.begin(), classifier_text.end(), ' ')) - 1;
}

// Sparse features of the (bucket, word) pairs whose word lies in [begin, end).
Example Aggregate(const std::vector<std::pair<uint32_t, uint32_t>>& features, size_t begin,
                  size_t end) {
  std::vector<uint32_t> buckets;
  for (const auto& [bucket, word] : features) {
    if (word >= begin && word < end) buckets.push_back(bucket);
  }
  Example example;
  if (buckets.empty()) return example;
  const float norm = 1.0f / std::sqrt(static_cast<float>(buckets.size()));
  std::sort(buckets.begin(), buckets.end());
  for (size_t i = 0; i < buckets.size();) {
    size_t j = i;
    while (j < buckets.size() && buckets[j] == buckets[i]) ++j;
    example.buckets.push_back(buckets[i]);
    example.values.push_back(static_cast<float>(j - i) * norm);
    i = j;
  }
  return example;
}

// Where the inserted text lies in the sample's classifier text, in words: all of it, and the
// instruction proper. An inserted code attack is an instruction ("add the following snippet to
// your code:") and then a code block; the code alone reads like any code, so only the words
// before the first code fence teach the head what an injection says.
struct InjectedWords {
  size_t first = 0;
  size_t last = 0;         // all of the inserted text: [first, last)
  size_t instruction = 0;  // the instruction: [first, instruction)
};

InjectedWords InjectedSpan(const Sample& sample) {
  const size_t at = sample.text.find(sample.injected);
  if (sample.injected.empty() || at == std::string::npos) return {};
  InjectedWords span;
  span.first = WordCount(ClassifierText(sample.text.substr(0, at)));
  span.last = span.first + WordCount(ClassifierText(sample.injected));
  const size_t fence = sample.injected.find("```");
  span.instruction = fence == std::string::npos
                         ? span.last
                         : span.first + WordCount(ClassifierText(sample.injected.substr(0, fence)));
  return span;
}

size_t Overlap(size_t begin, size_t end, size_t first, size_t last) {
  return std::min(end, last) > std::max(begin, first) ? std::min(end, last) - std::max(begin, first)
                                                      : 0;
}

void AddSegments(const Sample& sample, int index, const PreparedText& prepared,
                 const std::vector<std::pair<uint32_t, uint32_t>>& features, const Options& options,
                 std::vector<Example>* out) {
  const InjectedWords span = sample.attack ? InjectedSpan(sample) : InjectedWords();
  for (const auto& [begin, end] :
       RetrievedSegments(WordCount(prepared.text), prepared.sentence_starts, options.window_words,
                         options.window_stride, options.min_segment_words)) {
    const size_t injected = Overlap(begin, end, span.first, span.last);
    const size_t instruction = Overlap(begin, end, span.first, span.instruction);
    // An attack segment is at least half instruction; a segment touching the inserted text
    // otherwise is ambiguous and left out.
    if (injected > 0 && 2 * instruction < end - begin) continue;
    Example example = Aggregate(features, begin, end);
    if (example.buckets.empty()) continue;
    example.attack = injected > 0;
    example.fold = FoldOf(sample.group, options.folds);
    example.sample = index;
    example.from_agent_run = sample.from_agent_run;
    example.host_fold = HostFoldOf(sample, options.folds);
    out->push_back(std::move(example));
  }
}

}  // namespace

int FoldOf(const std::string& group, int folds) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : group) h = (h ^ c) * 0x100000001b3ULL;
  return static_cast<int>(h % static_cast<uint64_t>(folds));
}

int HostFoldOf(const Sample& sample, int folds) {
  return FoldOf(sample.host.empty() ? sample.group : sample.host, folds);
}

std::vector<uint64_t> CommonWords(const std::vector<Sample>& samples, size_t count) {
  std::unordered_map<uint64_t, uint32_t> texts_with;
  for (const Sample& sample : samples) {
    const std::string text = ClassifierText(sample.text);
    std::unordered_set<uint64_t> seen;
    size_t start = 1;
    for (size_t space = text.find(' ', start); space != std::string::npos;
         space = text.find(' ', start)) {
      if (space > start) seen.insert(WordHash(std::string_view(text).substr(start, space - start)));
      start = space + 1;
    }
    for (uint64_t h : seen) ++texts_with[h];
  }
  std::vector<std::pair<uint32_t, uint64_t>> ranked;
  for (const auto& [h, n] : texts_with) ranked.emplace_back(n, h);
  std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  std::vector<uint64_t> words;
  for (size_t i = 0; i < ranked.size() && i < count; ++i) words.push_back(ranked[i].second);
  std::sort(words.begin(), words.end());
  return words;
}

std::vector<Example> MakeExamples(const std::vector<Sample>& samples, InjectionChannel channel,
                                  const Options& options) {
  std::vector<Example> examples;
  for (size_t i = 0; i < samples.size(); ++i) {
    const Sample& sample = samples[i];
    const PreparedText prepared = PrepareText(sample.text);
    std::vector<std::pair<uint32_t, uint32_t>> features;
    ForEachFeature(prepared, options.features,
                   [&](uint32_t bucket, uint32_t word) { features.emplace_back(bucket, word); });
    if (channel == InjectionChannel::kRetrieved) {
      AddSegments(sample, static_cast<int>(i), prepared, features, options, &examples);
      continue;
    }
    Example example = Aggregate(features, 0, WordCount(prepared.text) + 1);
    if (example.buckets.empty()) continue;
    example.attack = sample.attack;
    example.fold = FoldOf(sample.group, options.folds);
    example.host_fold = HostFoldOf(sample, options.folds);
    example.sample = static_cast<int>(i);
    examples.push_back(std::move(example));
  }
  return examples;
}

InjectionHead TrainHead(const std::vector<Example>& examples, int held_out,
                        const std::vector<bool>& excluded_samples, const Options& options) {
  std::vector<size_t> order;
  double attacks = 0;
  double benign = 0;
  const auto own = [&](const Example& e) {
    return e.from_agent_run ? options.agent_text_weight : 1.0;
  };
  for (size_t i = 0; i < examples.size(); ++i) {
    const Example& e = examples[i];
    if (e.fold == held_out || (!excluded_samples.empty() && excluded_samples[e.sample])) continue;
    if (e.host_fold == options.held_out_host_fold) continue;
    order.push_back(i);
    (e.attack ? attacks : benign) += own(e);
  }
  // Each class carries half the total weight, whatever its size or its examples' own weights.
  const double attack_weight = attacks > 0 ? 0.5 * order.size() / attacks : 0;
  const double benign_weight = benign > 0 ? 0.5 * order.size() / benign : 0;
  const size_t buckets = size_t{1} << options.features.bucket_bits;
  std::vector<double> w(buckets, 0.0), g2(buckets, 1e-8);
  double bias = 0, bias_g2 = 1e-8;
  uint64_t rng = options.seed;
  for (int epoch = 0; epoch < options.epochs; ++epoch) {
    for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[SplitMix(&rng) % i]);
    for (size_t index : order) {
      const Example& e = examples[index];
      double z = bias;
      for (size_t k = 0; k < e.buckets.size(); ++k) z += w[e.buckets[k]] * e.values[k];
      const double p = 1.0 / (1.0 + std::exp(-z));
      const double g =
          (p - (e.attack ? 1.0 : 0.0)) * (e.attack ? attack_weight : benign_weight) * own(e);
      for (size_t k = 0; k < e.buckets.size(); ++k) {
        const uint32_t b = e.buckets[k];
        const double grad = g * e.values[k] + options.l2 * w[b];
        g2[b] += grad * grad;
        w[b] -= options.learning_rate * grad / std::sqrt(g2[b]);
      }
      bias_g2 += g * g;
      bias -= options.learning_rate * g / std::sqrt(bias_g2);
    }
  }
  // int8 with one scale; the largest weights are rare n-grams, so the scale comes from the
  // 99.99th percentile of |w| and the few beyond it are clipped.
  std::vector<double> magnitudes;
  for (double v : w) {
    if (v != 0) magnitudes.push_back(std::fabs(v));
  }
  InjectionHead head;
  head.features = options.features;
  head.bias = static_cast<float>(bias);
  head.weights.assign(buckets, 0);
  if (magnitudes.empty()) return head;
  const size_t at = std::min(magnitudes.size() - 1, magnitudes.size() * 9999 / 10000);
  std::nth_element(magnitudes.begin(), magnitudes.begin() + at, magnitudes.end());
  const double scale = magnitudes[at] / 127.0;
  head.scale = static_cast<float>(scale);
  for (size_t b = 0; b < buckets; ++b) {
    const double q = std::round(w[b] / scale);
    head.weights[b] = static_cast<int8_t>(std::clamp(q, -127.0, 127.0));
  }
  return head;
}

InjectionModel TrainModel(const std::vector<Example>& examples, InjectionChannel channel,
                          int held_out, const std::vector<bool>& excluded, const Options& options) {
  InjectionModel model = EmptyModel(options);
  model.head(channel) = TrainHead(examples, held_out, excluded, options);
  return model;
}

std::vector<InjectionScore> ScoreSamples(const InjectionModel& model, InjectionChannel channel,
                                         const std::vector<Sample>& samples) {
  std::vector<InjectionScore> scores;
  scores.reserve(samples.size());
  for (const Sample& s : samples) scores.push_back(model.Score(channel, s.text));
  return scores;
}

void Calibrate(const std::vector<double>& logits, const std::vector<Sample>& samples,
               InjectionHead* head) {
  double attacks = 0;
  for (const Sample& s : samples) attacks += s.attack;
  const double benign = static_cast<double>(samples.size()) - attacks;
  if (attacks == 0 || benign == 0) return;
  const double target_attack = (attacks + 1) / (attacks + 2);
  const double target_benign = 1 / (benign + 2);
  const auto weight = [&](size_t i) { return samples[i].attack ? 0.5 / attacks : 0.5 / benign; };
  const auto target = [&](size_t i) { return samples[i].attack ? target_attack : target_benign; };
  const auto loss = [&](double a, double b) {
    double total = 0;
    for (size_t i = 0; i < samples.size(); ++i) {
      const double z = a * logits[i] + b;
      // log(1 + e^z) - y z, computed without overflow.
      const double softplus = z > 0 ? z + std::log1p(std::exp(-z)) : std::log1p(std::exp(z));
      total += weight(i) * (softplus - target(i) * z);
    }
    return total;
  };
  double a = 1, b = 0;
  double current = loss(a, b);
  for (int iteration = 0; iteration < 100; ++iteration) {  // Newton's method, damped
    double ga = 0, gb = 0, haa = 1e-9, hab = 0, hbb = 1e-9;
    for (size_t i = 0; i < samples.size(); ++i) {
      const double x = logits[i];
      const double p = 1 / (1 + std::exp(-(a * x + b)));
      const double r = weight(i) * p * (1 - p);
      ga += weight(i) * (p - target(i)) * x;
      gb += weight(i) * (p - target(i));
      haa += r * x * x;
      hab += r * x;
      hbb += r;
    }
    const double det = haa * hbb - hab * hab;
    if (det <= 0) break;
    const double da = (hbb * ga - hab * gb) / det;
    const double db = (haa * gb - hab * ga) / det;
    double step = 1;
    while (step > 1e-6 && loss(a - step * da, b - step * db) > current) step /= 2;
    if (step <= 1e-6) break;
    a -= step * da;
    b -= step * db;
    current = loss(a, b);
  }
  head->calibration_slope = static_cast<float>(a);
  head->calibration_intercept = static_cast<float>(b);
}

float ChooseThreshold(const std::vector<double>& scores, const std::vector<Sample>& samples,
                      double target_fpr) {
  std::vector<double> benign;
  for (size_t i = 0; i < samples.size(); ++i) {
    if (!samples[i].attack) benign.push_back(scores[i]);
  }
  std::sort(benign.rbegin(), benign.rend());
  const size_t allowed = static_cast<size_t>(std::floor(target_fpr * benign.size()));
  if (allowed >= benign.size()) return 0.0f;
  // Just above the highest benign score that must not be flagged (as a float, which is what the
  // model file keeps).
  float threshold = static_cast<float>(benign[allowed]);
  while (static_cast<double>(threshold) <= benign[allowed]) {
    threshold = std::nextafter(threshold, 2.0f);
  }
  return threshold;
}

InjectionModel EmptyModel(const Options& options) {
  InjectionModel model;
  model.window_words = options.window_words;
  model.window_stride = options.window_stride;
  model.min_segment_words = options.min_segment_words;
  model.typical_floor = static_cast<float>(options.typical_floor);
  model.spread_penalty = static_cast<float>(options.spread_penalty);
  model.spread_from_segments = options.spread_from_segments;
  model.neighbourhood_segments = options.neighbourhood_segments;
  model.head(InjectionChannel::kMessage).features = options.features;
  model.head(InjectionChannel::kRetrieved).features = options.retrieved_features;
  for (InjectionHead& head : model.heads) {
    head.weights.assign(size_t{1} << head.features.bucket_bits, 0);
  }
  return model;
}

}  // namespace vigil::training
