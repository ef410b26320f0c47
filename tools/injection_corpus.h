// The training texts of the prompt-injection classifier, read from the detection corpus
// (../shared/corpora, see its SOURCES.md). Only the split asked for is read: the trainer reads
// `train`; nothing here ever reads the public test splits, which the corpus leaves out.
#pragma once

#include <string>
#include <vector>

#include "domain/status.h"

namespace vigil::training {

struct Sample {
  std::string text;
  bool attack = false;
  std::string source;  // the corpus source (for per-source and leave-one-source-out reports)
  // Samples with the same group land in the same cross-validation fold: the same attack string
  // or the same document must never be on both sides of a fold.
  std::string group;
  std::string injected;  // retrieved attacks: the inserted instruction (a substring of `text`)
  bool from_agent_run = false;  // taken from a trajectory rather than a labelled file
  // The document a BIPIA sample is built on (its clean text and its injected copies share it);
  // empty for other samples.
  std::string host;
};

struct Corpus {
  // Message head: user prompts (attack / benign) and the user messages of the agent runs.
  std::vector<Sample> messages;
  // Retrieved head: tool results with or without an inserted instruction, and the tool results
  // of the agent runs (benign).
  std::vector<Sample> retrieved;
};

// Reads injection_direct.<split>.jsonl, injection_indirect.<split>.jsonl and
// trajectories.<split>.jsonl from `dir`. Agent-run texts are de-duplicated (agents resend the same
// message at every step). InvalidArgument or NotFound when a file is missing or malformed.
Result<Corpus> LoadCorpus(const std::string& dir, const std::string& split);

// The labelled prompts (not the agent runs' messages) as retrieved content, where any instruction
// is an injection. Each prompt's instruction becomes an attack sample: its first sentence and its
// questions (an attack's opening sentences), at most 40 words, because a jailbreak's story text
// after its opening would teach the head that any narrative is an injection. A request made of
// statements and then a question (a word problem) gives its question as the instruction and its
// statements as a benign sample: they are ordinary content.
std::vector<Sample> PromptsAsRetrieved(const std::vector<Sample>& messages, bool requests,
                                       bool attacks);

// Each retrieved sample cut to its first `bytes` bytes (at a UTF-8 boundary), as a client that
// sends only a `result_summary` reports it: an attack when the inserted text is still whole
// inside, benign when none of it is, left out otherwise. Texts not longer than `bytes` are
// skipped (the sample itself covers them).
std::vector<Sample> AsSummaries(const std::vector<Sample>& retrieved, size_t bytes);

// True for the German rows of a report (a stop-word count, as scripts/eval-detectors does).
bool LooksGerman(const std::string& text);

}  // namespace vigil::training
