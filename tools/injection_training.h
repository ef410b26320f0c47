// Training of the prompt-injection classifier's heads (detectors/injection_model.h): examples from
// corpus samples, logistic regression by AdaGrad, int8 quantisation, and the cross-validated
// choice of each head's threshold. Everything is deterministic: fixed seeds, a fixed example
// order, no threads.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "detectors/injection_model.h"
#include "tools/injection_corpus.h"

namespace vigil::training {

struct Options {
  FeatureConfig features;  // the message head's
  // The retrieved head's: word trigrams too, in 2^20 buckets, and shape n-grams of up to four
  // words. It must tell an instruction from the ordinary content around it in documents of every
  // kind, and with fewer buckets the collisions between its many n-grams cost recall; the shape
  // n-grams let it recognise an instruction on a topic it never saw (all chosen by strict
  // cross-validation on train, docs/injection-model.md).
  FeatureConfig retrieved_features = {3, 5, 3, 20, 4, {}};
  // How many of the training texts' most common words a head's shape n-grams keep
  // (FeatureConfig::vocabulary): 100 for the retrieved head, mostly function words and the
  // commonest verbs (50 and 150 catch fewer in strict cross-validation, 200 to 400 no more).
  uint32_t shape_vocabulary = 100;
  uint32_t retrieved_shape_vocabulary = 100;
  uint32_t window_words = 32;
  uint32_t window_stride = 16;
  uint32_t min_segment_words = 3;
  // The retrieved head's scoring rule (InjectionModel::TypicalEvidence, ChancePenalty). The floor
  // of -3: in strict cross-validation it flags a quarter of the clean BIPIA documents it flags
  // without one, at the same recall. The penalty of 1 spread: files of hundreds of lines (READMEs,
  // source files, manuals) stop being flagged for their strongest line by chance, while BIPIA's
  // e-mails and tables, mostly under 8 segments, keep their recall (docs/injection-model.md).
  double typical_floor = -3;
  double spread_penalty = 1;
  uint32_t spread_from_segments = 8;
  // A segment is compared with the 5 segments on each side of it: an injection pasted into a long
  // page stands out from its own lines, not from the page's (strict cross-validation on train,
  // three seeds: 583 documents caught on average against 568 comparing with the whole text, at
  // the same clean documents flagged; 4 and 6 on each side are within the seeds' spread).
  uint32_t neighbourhood_segments = 5;
  int epochs = 10;
  double learning_rate = 0.2;  // AdaGrad step
  double l2 = 1e-4;            // per-step shrinkage of the weights an example touches
  // The retrieved head's shrinkage, thirty times the message head's: its held-out attacks are of
  // categories it never saw, and a head that leans less on any one n-gram of its training attacks
  // catches more of them (chosen by cross-validation on train).
  double retrieved_l2 = 3e-3;
  uint64_t seed = 20240601;
  int folds = 5;
  // Thresholds: the lowest that flags at most this share of the benign texts held out in
  // cross-validation. Messages: the 1% the detector is held to. Half of it (the first recipes)
  // left a margin for new data, but replaying an agent framework's runs through a model trained
  // without that framework flags about as many of them at 1% as at 0.5% (docs/injection-model.md,
  // "Operating point"). Retrieved content: 0.75%. Its held-out benign texts include the agents'
  // own responses, harder than most tool output; at this point the head flags fewer of the
  // agents' texts than at 1% while losing little recall (docs/injection-model.md has the figures).
  double message_fpr = 0.01;
  double retrieved_fpr = 0.0075;
  // The weight of a retrieved example taken from an agent run (tool results and model responses,
  // all benign) against the other benign examples. Below 1 because those texts are many, similar
  // within a framework and often instruction-like (an agent's plan, a framework's reminder); at
  // full weight they teach the head that instructions are ordinary content, and it catches fewer
  // injections without flagging fewer held-out agent texts (chosen by cross-validation on train).
  double agent_text_weight = 0.5;
  // Strict cross-validation (HostFoldOf): training also leaves out the examples whose host fold
  // is this one (-1: none).
  int held_out_host_fold = -1;
};

// The WordHash of the `count` words found in the most of `samples` (ties by hash), ascending.
std::vector<uint64_t> CommonWords(const std::vector<Sample>& samples, size_t count);

// One training example: a text or a window, its features scaled like the scorer scales them.
struct Example {
  std::vector<uint32_t> buckets;
  std::vector<float> values;  // count / sqrt(total feature occurrences)
  bool attack = false;
  int fold = 0;
  int sample = 0;               // index of the corpus sample it comes from
  bool from_agent_run = false;  // a retrieved example from an agent run's text
  int host_fold = 0;            // HostFoldOf its sample
};

// The cross-validation fold of a sample group.
int FoldOf(const std::string& group, int folds);

// The fold of a sample's host document (its group's fold when it has none). Grouping BIPIA
// attacks by category lets the clean copy of an attack's host document, and its other injected
// copies, train the head that scores it; holding out both folds at once (strict
// cross-validation) scores documents whose host and attack category are both unseen, as on dev.
int HostFoldOf(const Sample& sample, int folds);

// Examples of one head. Messages: one per sample. Retrieved: one per segment
// (RetrievedSegments); in an attack text, a segment is an attack when at least half of it is the
// inserted instruction, benign when none of it is, and left out otherwise.
std::vector<Example> MakeExamples(const std::vector<Sample>& samples, InjectionChannel channel,
                                  const Options& options);

// Trains one head on the examples whose fold is not `held_out` (-1: all) and whose sample is
// not excluded, over options.features. Retrieved examples from agent runs weigh
// options.agent_text_weight; class weights then balance attacks against benign examples. The head's
// threshold is left at 1 (never flags); ChooseThreshold sets it.
InjectionHead TrainHead(const std::vector<Example>& examples, int held_out,
                        const std::vector<bool>& excluded_samples, const Options& options);

// A model whose `channel` head is trained without fold `held_out` (-1: none) and without the
// excluded samples (empty: none).
InjectionModel TrainModel(const std::vector<Example>& examples, InjectionChannel channel,
                          int held_out, const std::vector<bool>& excluded, const Options& options);

// The scores of `samples` under `model`, as the detector computes them.
std::vector<InjectionScore> ScoreSamples(const InjectionModel& model, InjectionChannel channel,
                                         const std::vector<Sample>& samples);

// Fits the head's calibration (Platt scaling: one logistic regression on the logit) to held-out
// logits, attacks and benign samples weighing the same in total, with Platt's smoothed targets so
// a separable set still gives a finite slope.
void Calibrate(const std::vector<double>& logits, const std::vector<Sample>& samples,
               InjectionHead* head);

// The lowest probability threshold that flags at most floor(target_fpr * benign) benign samples.
float ChooseThreshold(const std::vector<double>& scores, const std::vector<Sample>& samples,
                      double target_fpr);

// A model shell with the options' configuration and empty heads.
InjectionModel EmptyModel(const Options& options);

}  // namespace vigil::training
