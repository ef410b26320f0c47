// vigil_injection_bench: the prompt-injection classifier's cost, in microseconds per KB of text.
//
// Scores the embedded model on texts of a few sizes, both heads, and reports the best of several
// rounds (the least disturbed by other work on a shared machine). The texts are English prose and
// code from a built-in sample, cut to size, or the files given on the command line (e.g. corpus
// files), whose lines are joined and cut the same way.
//
// Usage: vigil_injection_bench [--rounds N] [file...]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "detectors/injection_model.h"
#include "detectors/injection_normalize.h"
#include "detectors/injection_patterns.h"
#include "detectors/override_phrases.h"

namespace vigil {
namespace {

constexpr char kSample[] =
    "Thanks for the quick reply. I looked at the logs again and the service restarts every few "
    "minutes after the upgrade; the health check times out before the cache is warm.\n"
    "| Year | City | Country | Venue |\n| 2004 | Athens | Greece | Olympic Stadium |\n"
    "def load(path):\n    with open(path) as f:\n        return json.load(f)\n"
    "Could you summarise the attached report and list the three largest risks? "
    "Revenue grew 12% year over year, driven by the enterprise segment. Churn was flat. ";

std::string Corpus(const std::vector<std::string>& files) {
  std::string text;
  for (const std::string& path : files) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    text += buffer.str();
  }
  if (text.empty()) {
    while (text.size() < (1u << 20)) text += kSample;
  }
  return text;
}

// Microseconds per KB to run `fn` over every chunk of `size` bytes of `text`, best of `rounds`.
template <typename Fn>
double MicrosPerKb(const std::string& text, size_t size, int rounds, Fn&& fn) {
  std::vector<std::string> chunks;
  for (size_t at = 0; at + size <= text.size() && chunks.size() < 256; at += size) {
    chunks.push_back(text.substr(at, size));
  }
  double best = 1e300;
  volatile double sink = 0;
  for (int round = 0; round < rounds; ++round) {
    const auto start = std::chrono::steady_clock::now();
    for (const std::string& chunk : chunks) sink = sink + fn(chunk);
    const std::chrono::duration<double, std::micro> took = std::chrono::steady_clock::now() - start;
    best = std::min(best, took.count() / (static_cast<double>(chunks.size() * size) / 1024.0));
  }
  return best;
}

int Main(int argc, char** argv) {
  int rounds = 7;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--rounds" && i + 1 < argc) {
      rounds = std::max(1, std::atoi(argv[++i]));
    } else {
      files.push_back(arg);
    }
  }
  const std::string text = Corpus(files);
  const InjectionModel& model = EmbeddedInjectionModel();
  std::printf("%-10s %14s %14s %14s %14s\n", "text size", "message µs/KB", "retrieved µs/KB",
              "patterns µs/KB", "overrides µs/KB");
  for (size_t size : {256u, 1024u, 4096u, 16384u}) {
    const double message = MicrosPerKb(text, size, rounds, [&](const std::string& t) {
      return model.Score(InjectionChannel::kMessage, t).probability;
    });
    const double retrieved = MicrosPerKb(text, size, rounds, [&](const std::string& t) {
      return model.Score(InjectionChannel::kRetrieved, t).probability;
    });
    const double patterns = MicrosPerKb(text, size, rounds, [&](const std::string& t) {
      return MatchInjectionPattern(NormalizeForInjection(t)) ? 1.0 : 0.0;
    });
    const double overrides = MicrosPerKb(
        text, size, rounds, [&](const std::string& t) { return HasOverridePhrase(t) ? 1.0 : 0.0; });
    std::printf("%7zu B  %14.2f %15.2f %14.2f %15.2f\n", size, message, retrieved, patterns,
                overrides);
  }
  return 0;
}

}  // namespace
}  // namespace vigil

int main(int argc, char** argv) { return vigil::Main(argc, argv); }
