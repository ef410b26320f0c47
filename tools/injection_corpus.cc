#include "tools/injection_corpus.h"

#include <simdjson.h>

#include <cctype>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <string_view>

#include "detectors/injection_features.h"

namespace vigil::training {
namespace {

using simdjson::dom::element;

Result<std::vector<std::string>> ReadLines(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot open " + path);
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) lines.push_back(std::move(line));
  }
  return lines;
}

std::string Str(element e, const char* key) {
  std::string_view v;
  return e[key].get(v) == simdjson::SUCCESS ? std::string(v) : std::string();
}

// Each file is a list of JSON objects, one per line; `row` is called with each.
template <typename Fn>
Status ForEachRow(const std::string& path, Fn&& row) {
  Result<std::vector<std::string>> lines = ReadLines(path);
  if (!lines.ok()) return lines.status();
  simdjson::dom::parser parser;
  for (const std::string& line : lines.value()) {
    element doc;
    if (parser.parse(line).get(doc) != simdjson::SUCCESS) {
      return Status::InvalidArgument("malformed JSON line in " + path);
    }
    row(doc);
  }
  return Status::Ok();
}

// The context id of a BIPIA row: its id without the "-clean" / "-aN" suffix.
std::string ContextId(const std::string& id) { return id.substr(0, id.rfind('-')); }

// The fields every labelled row has: text, label and source.
Sample LabelledRow(element row) {
  Sample s;
  s.text = Str(row, "text");
  s.attack = Str(row, "label") == "attack";
  s.source = Str(row, "source");
  return s;
}

Status LoadDirect(const std::string& path, Corpus* corpus) {
  return ForEachRow(path, [&](element row) {
    Sample s = LabelledRow(row);
    s.group = Str(row, "id");
    corpus->messages.push_back(std::move(s));
  });
}

Status LoadIndirect(const std::string& path, Corpus* corpus) {
  return ForEachRow(path, [&](element row) {
    Sample s = LabelledRow(row);
    s.injected = Str(row, "injected_text");
    // Attack texts group by attack category: one category's strings are paraphrases of each
    // other, so cross-validation measures attacks of a kind never seen, as on new data. Clean
    // texts group by their context.
    s.host = "context:" + ContextId(Str(row, "id"));
    s.group = s.attack ? "attack:" + Str(row, "attack_category") : s.host;
    corpus->retrieved.push_back(std::move(s));
  });
}

// One text of an agent run, kept once per corpus (agents resend the same text at every step).
struct RunText {
  const char* event_type;
  const char* field;
  const char* label;  // appended to the source's name
  bool message;       // message head, else retrieved head
};

// What the runs give the heads, all benign: the user messages (message head); tool results and
// the model's own responses (retrieved head: prose and tool output an agent reads, and a
// delegated agent's answer comes back to its manager as a tool result).
constexpr RunText kRunTexts[] = {
    {"llm_call", "user_message", " (user messages)", true},
    {"tool_call", "result_text", " (tool results)", false},
    {"llm_call", "response_text", " (model responses)", false},
};

Status LoadTrajectories(const std::string& path, Corpus* corpus) {
  std::set<std::string> seen[std::size(kRunTexts)];
  return ForEachRow(path, [&](element run) {
    const std::string id = Str(run, "id");
    const std::string source = Str(run, "source");
    simdjson::dom::array events;
    if (run["events"].get(events) != simdjson::SUCCESS) return;
    for (element event : events) {
      const std::string type = Str(event, "event_type");
      element payload;
      if (event["payload"].get(payload) != simdjson::SUCCESS) continue;
      for (size_t k = 0; k < std::size(kRunTexts); ++k) {
        const RunText& kind = kRunTexts[k];
        const std::string text = type == kind.event_type ? Str(payload, kind.field) : "";
        if (text.empty() || !seen[k].insert(text).second) continue;
        Sample s;
        s.text = text;
        s.source = source + kind.label;
        s.group = "run:" + id;
        s.from_agent_run = true;
        (kind.message ? corpus->messages : corpus->retrieved).push_back(std::move(s));
      }
    }
  });
}

constexpr size_t kAsRetrievedWords = 40;
constexpr size_t kMinPremiseWords = 5;

// The sentences of `text`: a break after a line break, or after '.', '!' or '?' followed by white
// space; each keeps its terminator, and empty ones are dropped.
std::vector<std::string> Sentences(const std::string& text) {
  std::vector<std::string> out;
  std::string current;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c != '\n') current.push_back(c);
    const bool next_space =
        i + 1 == text.size() || std::isspace(static_cast<unsigned char>(text[i + 1]));
    if (c == '\n' || ((c == '.' || c == '!' || c == '?') && next_space)) {
      if (current.find_first_not_of(" \t\r") != std::string::npos) out.push_back(current);
      current.clear();
    }
  }
  if (current.find_first_not_of(" \t\r") != std::string::npos) out.push_back(current);
  return out;
}

bool IsQuestion(const std::string& sentence) {
  const size_t last = sentence.find_last_not_of(" \t\r");
  return last != std::string::npos && sentence[last] == '?';
}

size_t Words(const std::string& text) {
  std::istringstream in(text);
  std::string word;
  size_t n = 0;
  while (in >> word) ++n;
  return n;
}

}  // namespace

std::vector<Sample> PromptsAsRetrieved(const std::vector<Sample>& messages, bool requests,
                                       bool attacks) {
  std::vector<Sample> out;
  for (const Sample& message : messages) {
    if (message.from_agent_run || (message.attack ? !attacks : !requests)) continue;
    const std::vector<std::string> sentences = Sentences(message.text);
    if (sentences.empty()) continue;
    std::string instruction;
    std::string premises;
    if (!message.attack && sentences.size() > 1 && IsQuestion(sentences.back())) {
      // Statements and then a question about them (a word problem): the question asks, the
      // statements are content.
      instruction = sentences.back();
      for (size_t k = 0; k + 1 < sentences.size(); ++k) premises += sentences[k] + "\n";
    } else {
      for (size_t k = 0; k < sentences.size(); ++k) {
        const bool asks = k == 0 || message.attack || IsQuestion(sentences[k]);
        if (asks && Words(instruction) + Words(sentences[k]) <= kAsRetrievedWords) {
          instruction += sentences[k] + "\n";
        }
      }
      if (instruction.empty()) instruction = sentences[0];
    }
    Sample attack = message;
    attack.attack = true;
    attack.text = instruction;
    attack.injected = instruction;
    attack.source += " (as retrieved content)";
    attack.group = "as-retrieved:" + message.group;
    out.push_back(attack);
    if (Words(premises) >= kMinPremiseWords) {
      Sample benign = attack;
      benign.attack = false;
      benign.text = premises;
      benign.injected.clear();
      benign.source = message.source + " (premises, as retrieved content)";
      out.push_back(std::move(benign));
    }
  }
  return out;
}

std::vector<Sample> AsSummaries(const std::vector<Sample>& retrieved, size_t bytes) {
  std::vector<Sample> out;
  for (const Sample& sample : retrieved) {
    if (sample.text.size() <= bytes) continue;
    size_t cut = bytes;
    while (cut > 0 && (static_cast<unsigned char>(sample.text[cut]) & 0xC0) == 0x80) --cut;
    Sample summary = sample;
    summary.text = sample.text.substr(0, cut);
    summary.source += " (summaries)";
    if (sample.attack) {
      const size_t at = sample.text.find(sample.injected);
      if (at == std::string::npos) continue;
      if (at + sample.injected.size() > cut) {
        if (at < cut) continue;  // cut inside the inserted text: neither label fits
        summary.attack = false;
        summary.injected.clear();
      }
    }
    out.push_back(std::move(summary));
  }
  return out;
}

Result<Corpus> LoadCorpus(const std::string& dir, const std::string& split) {
  Corpus corpus;
  Status s = LoadDirect(dir + "/injection_direct." + split + ".jsonl", &corpus);
  if (s.ok()) s = LoadIndirect(dir + "/injection_indirect." + split + ".jsonl", &corpus);
  if (s.ok()) s = LoadTrajectories(dir + "/trajectories." + split + ".jsonl", &corpus);
  if (!s.ok()) return s;
  return corpus;
}

bool LooksGerman(const std::string& text) {
  static const std::set<std::string> kGerman = {
      "und",  "der",   "das",  "ist",   "nicht",  "ich",   "du",      "sie",       "ein",
      "eine", "einen", "zu",   "mit",   "auf",    "für",   "von",     "den",       "dem",
      "des",  "wie",   "was",  "bitte", "auch",   "sind",  "oder",    "aber",      "wir",
      "mir",  "mich",  "dich", "dir",   "im",     "es",    "noch",    "nach",      "bei",
      "aus",  "wenn",  "dann", "alle",  "alles",  "jetzt", "vergiss", "ignoriere", "deine",
      "ihre", "sein",  "kann", "soll",  "werden", "wird",  "über"};
  static const std::set<std::string> kEnglish = {
      "the", "and", "is",   "to",   "of", "you", "that", "it",  "for",    "what",
      "are", "on",  "with", "this", "be", "how", "your", "can", "please", "all"};
  std::istringstream words(ClassifierText(text));
  std::string word;
  int german = 0;
  int english = 0;
  while (words >> word) {
    german += kGerman.count(word) != 0;
    english += kEnglish.count(word) != 0;
  }
  return german >= 2 && german > english;
}

}  // namespace vigil::training
