// vigil_train_injection_model: trains the prompt-injection classifier on the corpus's train split
// and writes the model file the binary embeds (scripts/train-injection-model runs it).
//
// For each head: 5-fold cross-validation on train (folds grouped so one attack string or one
// document never sits on both sides) gives out-of-fold scores; the threshold is the lowest that
// flags at most --fpr of the held-out benign texts; leave-one-source-out runs show how the head
// does on a source it never saw; --strict-cv also scores the retrieved head on BIPIA documents
// whose host document and attack category it never saw (StrictCrossValidation); the final head
// is trained on all of train. Deterministic: the same corpus and options give a byte-identical
// model file.
//
// Usage: vigil_train_injection_model --corpora DIR --out FILE [--bits N] [--char-min N]
//        [--char-max N] [--word-max N] [--retrieved-bits N] [--retrieved-char-min N]
//        [--retrieved-char-max N] [--retrieved-word-max N] [--window N] [--stride N]
//        [--epochs N] [--lr X] [--l2 X] [--retrieved-l2 X] [--agent-text-weight X]
//        [--message-fpr X] [--retrieved-fpr X] [--typical-floor X] [--spread-penalty X]
//        [--spread-from N] [--neighbourhood N] [--shape-max N] [--retrieved-shape-max N]
//        [--shape-vocabulary N] [--retrieved-shape-vocabulary N] [--without SOURCE]...
//        [--seed N] [--no-loso] [--strict-cv] [--dump FILE]
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tools/injection_corpus.h"
#include "tools/injection_training.h"

namespace vigil::training {
namespace {

// What the SDKs that send no result_text send of a tool result: its first 300 characters.
constexpr size_t kSummaryBytes = 300;

struct Args {
  std::string corpora;
  std::string out;
  std::string dump;  // out-of-fold scores, one line per sample, for error analysis
  bool loso = true;
  bool strict_cv = false;  // also strict cross-validation of the retrieved head (slow)
  // Direct prompts as retrieved content: requests (benign as user messages) and attacks.
  bool requests_as_retrieved = true;
  bool attacks_as_retrieved = true;
  // Tool results also as the 300-byte summaries clients without result_text send.
  bool summaries = true;
  // Sources left out of all training (each a part of a source's name, e.g. "crewAI"): a whole
  // model without one agent framework, to replay that framework's runs as traffic it never saw.
  std::vector<std::string> without;
  Options options;
};

bool ParseArgs(int argc, char** argv, Args* args) {
  Options& o = args->options;
  const std::map<std::string, uint32_t*> counts = {
      {"--bits", &o.features.bucket_bits},
      {"--char-min", &o.features.char_min},
      {"--char-max", &o.features.char_max},
      {"--word-max", &o.features.word_max},
      {"--retrieved-bits", &o.retrieved_features.bucket_bits},
      {"--retrieved-char-min", &o.retrieved_features.char_min},
      {"--retrieved-char-max", &o.retrieved_features.char_max},
      {"--retrieved-word-max", &o.retrieved_features.word_max},
      {"--shape-max", &o.features.shape_max},
      {"--retrieved-shape-max", &o.retrieved_features.shape_max},
      {"--shape-vocabulary", &o.shape_vocabulary},
      {"--retrieved-shape-vocabulary", &o.retrieved_shape_vocabulary},
      {"--window", &o.window_words},
      {"--stride", &o.window_stride},
      {"--min-words", &o.min_segment_words},
      {"--spread-from", &o.spread_from_segments},
      {"--neighbourhood", &o.neighbourhood_segments}};
  const std::map<std::string, double*> reals = {{"--lr", &o.learning_rate},
                                                {"--l2", &o.l2},
                                                {"--retrieved-l2", &o.retrieved_l2},
                                                {"--message-fpr", &o.message_fpr},
                                                {"--retrieved-fpr", &o.retrieved_fpr},
                                                {"--agent-text-weight", &o.agent_text_weight},
                                                {"--typical-floor", &o.typical_floor},
                                                {"--spread-penalty", &o.spread_penalty}};
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--no-loso") {
      args->loso = false;
    } else if (arg == "--strict-cv") {
      args->strict_cv = true;
    } else if (arg == "--no-requests") {
      args->requests_as_retrieved = false;
    } else if (arg == "--no-summaries") {
      args->summaries = false;
    } else if (arg == "--no-attacks") {
      args->attacks_as_retrieved = false;
    } else if (arg == "--corpora" && has_value) {
      args->corpora = argv[++i];
    } else if (arg == "--without" && has_value) {
      args->without.push_back(argv[++i]);
    } else if (arg == "--dump" && has_value) {
      args->dump = argv[++i];
    } else if (arg == "--out" && has_value) {
      args->out = argv[++i];
    } else if (arg == "--seed" && has_value) {
      o.seed = std::strtoull(argv[++i], nullptr, 10);
    } else if (arg == "--epochs" && has_value) {
      o.epochs = std::atoi(argv[++i]);
    } else if (counts.count(arg) && has_value) {
      *counts.at(arg) = static_cast<uint32_t>(std::strtoul(argv[++i], nullptr, 10));
    } else if (reals.count(arg) && has_value) {
      *reals.at(arg) = std::strtod(argv[++i], nullptr);
    } else {
      return false;
    }
  }
  // The vocabularies are chosen from the data later (TrainChannel); a placeholder stands in for
  // them so that the rest of each configuration can be checked now.
  FeatureConfig message = o.features;
  FeatureConfig retrieved = o.retrieved_features;
  for (FeatureConfig* c : {&message, &retrieved}) {
    if (c->shape_max != 0) c->vocabulary = {1};
  }
  return !args->corpora.empty() && message.Valid() && retrieved.Valid() &&
         EmptyModel(o).ConfigurationValid() && o.epochs > 0;
}

const char* ChannelName(InjectionChannel channel) {
  return channel == InjectionChannel::kMessage ? "message" : "retrieved";
}

// Recall and false-positive rate of `scores` at `threshold`, overall, per source and on the
// German rows.
void PrintQuality(const char* title, const std::vector<double>& scores,
                  const std::vector<Sample>& samples, double threshold) {
  struct Tally {
    int attacks = 0, caught = 0, benign = 0, flagged = 0;
    void Add(bool attack, bool hit) {
      (attack ? attacks : benign) += 1;
      (attack ? caught : flagged) += hit;
    }
  };
  Tally all, german;
  std::map<std::string, Tally> by_source;
  for (size_t i = 0; i < samples.size(); ++i) {
    const bool hit = scores[i] >= threshold;
    all.Add(samples[i].attack, hit);
    by_source[samples[i].source].Add(samples[i].attack, hit);
    if (LooksGerman(samples[i].text)) german.Add(samples[i].attack, hit);
  }
  const auto line = [](const std::string& name, const Tally& t) {
    std::printf("    %-66s attacks %4d/%-4d benign flagged %3d/%-4d\n", name.substr(0, 66).c_str(),
                t.caught, t.attacks, t.flagged, t.benign);
  };
  std::printf("  %s at threshold %.4f: recall %.3f, false positives %.4f\n", title, threshold,
              all.attacks ? double(all.caught) / all.attacks : 0.0,
              all.benign ? double(all.flagged) / all.benign : 0.0);
  for (const auto& [source, tally] : by_source) line(source, tally);
  line("German rows (stop-word count)", german);
}

// Appends "label <TAB> source <TAB> label <TAB> score <TAB> text" lines (text flattened).
void DumpScores(const std::string& path, const char* label, const std::vector<double>& scores,
                const std::vector<Sample>& samples) {
  std::ofstream out(path, std::ios::app);
  for (size_t i = 0; i < samples.size(); ++i) {
    std::string text = samples[i].injected.empty() ? samples[i].text : samples[i].injected;
    for (char& c : text) c = (c == '\n' || c == '\t') ? ' ' : c;
    out << label << '\t' << samples[i].source << '\t' << (samples[i].attack ? "attack" : "benign")
        << '\t' << scores[i] << '\t' << text.substr(0, 300) << '\n';
  }
}

// Out-of-fold logits of every sample: each fold scored by a head trained on the others.
std::vector<double> CrossValidate(const std::vector<Example>& examples,
                                  const std::vector<Sample>& samples, InjectionChannel channel,
                                  const Options& o) {
  std::vector<double> logits(samples.size(), 0.0);
  for (int fold = 0; fold < o.folds; ++fold) {
    const InjectionModel model = TrainModel(examples, channel, fold, {}, o);
    for (size_t i = 0; i < samples.size(); ++i) {
      if (FoldOf(samples[i].group, o.folds) != fold) continue;
      logits[i] = model.Score(channel, samples[i].text).logit;
    }
  }
  return logits;
}

// Strict cross-validation (HostFoldOf): for every pair of a host fold and a group fold, a head
// trained without both scores the samples in both, so a BIPIA document is scored by a head that
// saw neither its host document nor its attack category. Every sample is scored once (a sample
// without a host has equal folds, so only pairs of equal folds score it); each head trains on
// about two thirds of the data, which makes the figures somewhat pessimistic. Printed with the
// production calibration and threshold, and dumped as "retrieved-strict".
void StrictCrossValidation(const std::vector<Example>& examples, const std::vector<Sample>& samples,
                           InjectionChannel channel, const InjectionHead& production,
                           const Options& o, const std::string& dump) {
  std::vector<double> scores(samples.size(), 0.0);
  for (int host = 0; host < o.folds; ++host) {
    Options without_host = o;
    without_host.held_out_host_fold = host;
    for (int fold = 0; fold < o.folds; ++fold) {
      InjectionModel model = TrainModel(examples, channel, fold, {}, without_host);
      InjectionHead& head = model.head(channel);
      head.calibration_slope = production.calibration_slope;
      head.calibration_intercept = production.calibration_intercept;
      for (size_t i = 0; i < samples.size(); ++i) {
        if (HostFoldOf(samples[i], o.folds) != host || FoldOf(samples[i].group, o.folds) != fold) {
          continue;
        }
        scores[i] = model.Score(channel, samples[i].text).probability;
      }
    }
  }
  if (!dump.empty()) DumpScores(dump, "retrieved-strict", scores, samples);
  PrintQuality("strict cross-validation (unseen host documents and attack categories)", scores,
               samples, production.threshold);
}

// For each source: a head trained without it, scored on it with the production calibration and
// threshold: how the head does on a kind of text it never saw.
void LeaveOneSourceOut(const std::vector<Example>& examples, const std::vector<Sample>& samples,
                       InjectionChannel channel, const InjectionHead& production,
                       const Options& o) {
  // A source's summaries (AsSummaries) are the same documents: they leave with it.
  const std::string summaries = " (summaries)";
  const auto base = [&](const std::string& source) {
    const bool cut =
        source.size() > summaries.size() &&
        source.compare(source.size() - summaries.size(), summaries.size(), summaries) == 0;
    return cut ? source.substr(0, source.size() - summaries.size()) : source;
  };
  std::set<std::string> sources;
  for (const Sample& s : samples) sources.insert(base(s.source));
  std::printf("  leave one source out (trained without the source, scored on it):\n");
  for (const std::string& source : sources) {
    std::vector<bool> excluded(samples.size());
    std::vector<Sample> held;
    for (size_t i = 0; i < samples.size(); ++i) {
      excluded[i] = base(samples[i].source) == source;
      if (excluded[i]) held.push_back(samples[i]);
    }
    InjectionModel model = TrainModel(examples, channel, -1, excluded, o);
    InjectionHead& head = model.head(channel);
    head.calibration_slope = production.calibration_slope;
    head.calibration_intercept = production.calibration_intercept;
    std::vector<double> scores;
    for (const InjectionScore& score : ScoreSamples(model, channel, held)) {
      scores.push_back(score.probability);
    }
    PrintQuality(("without " + source).c_str(), scores, held, production.threshold);
  }
}

InjectionHead TrainChannel(const std::vector<Sample>& samples, InjectionChannel channel,
                           const Args& args) {
  Options o = args.options;
  if (channel == InjectionChannel::kRetrieved) {
    o.l2 = o.retrieved_l2;
    o.features = o.retrieved_features;
    o.shape_vocabulary = o.retrieved_shape_vocabulary;
  }
  if (o.features.shape_max > 0) {
    o.features.vocabulary = CommonWords(samples, o.shape_vocabulary);
    std::printf("%s head: shape n-grams up to %u words over %zu common words\n",
                ChannelName(channel), o.features.shape_max, o.features.vocabulary.size());
  }
  const std::vector<Example> examples = MakeExamples(samples, channel, o);
  std::printf("%s head: %zu samples, %zu training examples\n", ChannelName(channel), samples.size(),
              examples.size());
  const std::vector<double> logits = CrossValidate(examples, samples, channel, o);
  InjectionHead head = TrainModel(examples, channel, -1, {}, o).head(channel);
  Calibrate(logits, samples, &head);
  std::vector<double> oof;
  for (double logit : logits) {
    oof.push_back(1 /
                  (1 + std::exp(-(head.calibration_slope * logit + head.calibration_intercept))));
  }
  head.threshold = ChooseThreshold(
      oof, samples, channel == InjectionChannel::kMessage ? o.message_fpr : o.retrieved_fpr);
  std::printf("  calibration: p = sigmoid(%.4f * logit + %.4f)\n", head.calibration_slope,
              head.calibration_intercept);
  if (!args.dump.empty()) DumpScores(args.dump, ChannelName(channel), oof, samples);
  PrintQuality("cross-validation (out of fold)", oof, samples, head.threshold);
  if (args.strict_cv && channel == InjectionChannel::kRetrieved) {
    StrictCrossValidation(examples, samples, channel, head, o, args.dump);
  }
  if (args.loso) LeaveOneSourceOut(examples, samples, channel, head, o);
  return head;
}

// Drops every sample whose source's name contains one of `sources` (--without).
void LeaveOut(const std::vector<std::string>& sources, Corpus* corpus) {
  for (const std::string& source : sources) {
    for (std::vector<Sample>* samples : {&corpus->messages, &corpus->retrieved}) {
      samples->erase(std::remove_if(samples->begin(), samples->end(),
                                    [&](const Sample& s) {
                                      return s.source.find(source) != std::string::npos;
                                    }),
                     samples->end());
    }
  }
}

int Main(int argc, char** argv) {
  Args args;
  if (!ParseArgs(argc, argv, &args)) {
    std::fprintf(stderr, "usage: see tools/train_injection_model.cc\n");
    return 2;
  }
  Result<Corpus> corpus = LoadCorpus(args.corpora, "train");
  if (!corpus.ok()) {
    std::fprintf(stderr, "corpus: %s\n", corpus.status().message().c_str());
    return 1;
  }
  LeaveOut(args.without, &corpus.value());
  std::vector<Sample> retrieved = corpus.value().retrieved;
  if (args.summaries) {
    for (Sample& s : AsSummaries(corpus.value().retrieved, kSummaryBytes)) {
      retrieved.push_back(std::move(s));
    }
  }
  for (Sample& s : PromptsAsRetrieved(corpus.value().messages, args.requests_as_retrieved,
                                      args.attacks_as_retrieved)) {
    retrieved.push_back(std::move(s));
  }
  InjectionModel model = EmptyModel(args.options);
  model.head(InjectionChannel::kMessage) =
      TrainChannel(corpus.value().messages, InjectionChannel::kMessage, args);
  model.head(InjectionChannel::kRetrieved) =
      TrainChannel(retrieved, InjectionChannel::kRetrieved, args);
  if (args.out.empty()) return 0;
  std::ofstream out(args.out, std::ios::binary | std::ios::trunc);
  const std::string bytes = model.Serialize();
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) {
    std::fprintf(stderr, "cannot write %s\n", args.out.c_str());
    return 1;
  }
  std::printf("wrote %s (%zu bytes)\n", args.out.c_str(), bytes.size());
  return 0;
}

}  // namespace
}  // namespace vigil::training

int main(int argc, char** argv) { return vigil::training::Main(argc, argv); }
