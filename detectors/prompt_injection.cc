// Prompt injection: phrase patterns as explainable evidence, and a trained classifier
// (injection_model.h) for the wording the patterns cannot list.
//
// What is read depends on the policy. By default: each llm_call's user message and each tool
// call's result (`result_text`, else `result_summary`), which is where text an attacker controls
// arrives; not the application's own system prompt, which is the developer's text and, being sent
// with every call, would flag every run of an app whose prompt has defensive wording. The `mesedi`
// preset reads user messages and system prompts with the patterns only, exactly as that protocol
// describes.
//
// Which finding: a pattern match anywhere (texts in event order; within an llm_call the user
// message before the system prompt) gives the pattern's name as the signature; otherwise the text
// the classifier scores highest, if flagged, gives `injection_classifier`. Each distinct text is
// read once: agents resend the same message and prompt with every call.
//
// Lines of a tool result that stand verbatim in one of the execution's system prompts are left out
// of what is read there: that is the application's own text, which agent frameworks echo into tool
// observations (a reminder of the tool list and the answer format after a failed step). An attacker
// who controls a tool result does not control the system prompt, so this hides nothing it wrote.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <set>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "detectors/detector_util.h"
#include "detectors/injection_model.h"
#include "detectors/injection_normalize.h"
#include "detectors/injection_patterns.h"
#include "detectors/override_phrases.h"
#include "detectors/unicode.h"

namespace vigil {
namespace {

constexpr std::string_view kClassifierSignature = "injection_classifier";
// An override phrasing is the `ignore_instructions` family in another wording or language: one
// group for both.
constexpr std::string_view kOverrideSignature = "ignore_instructions";
// Text the classifier reads per execution, at most. Scoring is linear in the text, so this bounds a
// final pass over an execution with thousands of large tool results; texts past it (in event
// order) are still read by the patterns.
constexpr size_t kMaxClassifiedBytes = 8u << 20;

// A line shorter than this is not taken for the application's text even when a system prompt has
// it: short lines ("Thought:", "```", "Answer:") say nothing of who wrote the text around them.
constexpr size_t kMinApplicationLineBytes = 20;

// One text the detector reads, and where it came from (for the finding's sentence).
struct Source {
  const std::string* text;
  InjectionChannel channel;
  std::string where;  // "the user message", "the tool result of web_search", ...
};

// The trimmed lines of the execution's system prompts long enough to say who wrote them.
std::unordered_set<std::string_view> ApplicationLines(const ExecutionSnapshot& snapshot) {
  std::unordered_set<std::string_view> lines;
  std::set<std::string_view> prompts;
  for (const Event& event : snapshot.events) {
    const std::optional<std::string>& prompt = event.fields.system_prompt;
    if (event.type != EventType::kLlmCall || !prompt || !prompts.insert(*prompt).second) continue;
    ForEachLine(*prompt, [&](std::string_view line) {
      line = TrimAsciiSpace(line);
      if (line.size() >= kMinApplicationLineBytes) lines.insert(line);
    });
  }
  return lines;
}

// `text` without the lines found in `application` (nullopt when it has none of them).
std::optional<std::string> WithoutApplicationLines(
    const std::string& text, const std::unordered_set<std::string_view>& application) {
  if (application.empty()) return std::nullopt;
  std::string kept;
  bool dropped = false;
  ForEachLine(text, [&](std::string_view line) {
    if (application.count(TrimAsciiSpace(line)) != 0) {
      dropped = true;
      return;
    }
    kept.append(line).push_back('\n');
  });
  if (!dropped) return std::nullopt;
  return kept;
}

// The texts to read, in event order. Filtered tool results are kept alive in `owned`.
std::vector<Source> SourcesOf(const ExecutionSnapshot& snapshot, const Policy& policy,
                              std::vector<std::unique_ptr<std::string>>& owned) {
  const Policy::PromptInjection& p = policy.prompt_injection;
  const std::unordered_set<std::string_view> application =
      p.read_tool_results ? ApplicationLines(snapshot) : std::unordered_set<std::string_view>{};
  std::vector<Source> sources;
  const auto add = [&](const std::optional<std::string>& text, InjectionChannel channel,
                       std::string where) {
    if (!text || text->empty()) return;
    const std::string* read = &*text;
    if (channel == InjectionChannel::kRetrieved) {
      if (std::optional<std::string> filtered = WithoutApplicationLines(*text, application)) {
        owned.push_back(std::make_unique<std::string>(std::move(*filtered)));
        read = owned.back().get();
      }
    }
    sources.push_back({read, channel, std::move(where)});
  };
  for (const Event& event : snapshot.events) {
    const PayloadFields& f = event.fields;
    if (event.type == EventType::kLlmCall) {
      add(f.user_message, InjectionChannel::kMessage, "the user message");
      if (p.read_system_prompt)
        add(f.system_prompt, InjectionChannel::kMessage, "the system prompt");
      if (p.read_tool_results)
        add(f.tool_results_text, InjectionChannel::kRetrieved,
            "the tool results sent to the model");
    } else if (event.type == EventType::kToolCall && p.read_tool_results) {
      const std::string where = "the tool result of " + f.tool_name.value_or("a tool");
      add(f.result_text && !f.result_text->empty() ? f.result_text : f.result_summary,
          InjectionChannel::kRetrieved, where);
    }
  }
  return sources;
}

// The signature of the first phrase pattern that matches `text`: the spec's table,
// then, when the policy asks, the override phrasings in other languages.
std::optional<std::string_view> MatchPatterns(const std::string& text,
                                              const Policy::PromptInjection& policy) {
  if (std::optional<std::string_view> pattern =
          MatchInjectionPattern(NormalizeForInjection(text))) {
    return pattern;
  }
  if (policy.override_phrases && HasOverridePhrase(text)) return kOverrideSignature;
  return std::nullopt;
}

// "0.97": two decimals, rounded down so a score just under 1 never reads as certain.
std::string FormatScore(double probability) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "%.2f", std::floor(probability * 100) / 100);
  return buffer;
}

Finding WithDetail(const ExecutionSnapshot& snapshot, std::string signature, std::string detail) {
  Finding finding = MakeFinding(snapshot, kPromptInjection, std::move(signature));
  finding.detail = std::move(detail);
  return finding;
}

}  // namespace

std::optional<Finding> DetectPromptInjection(const ExecutionSnapshot& snapshot,
                                             const Policy& policy) {
  if (!policy.prompt_injection.enabled) return std::nullopt;
  std::vector<std::unique_ptr<std::string>> owned;
  const std::vector<Source> sources = SourcesOf(snapshot, policy, owned);
  std::vector<const Source*> distinct;
  std::set<std::pair<std::string_view, InjectionChannel>> seen;
  for (const Source& source : sources) {
    if (seen.emplace(*source.text, source.channel).second) distinct.push_back(&source);
  }
  const bool classify = policy.prompt_injection.classifier;
  for (const Source* source : distinct) {
    const std::optional<std::string_view> pattern =
        MatchPatterns(*source->text, policy.prompt_injection);
    if (!pattern) continue;
    std::string detail = "phrase pattern " + std::string(*pattern) + " in " + source->where;
    if (classify) {
      const InjectionScore score = EmbeddedInjectionModel().Score(source->channel, *source->text);
      detail += " (classifier score " + FormatScore(score.probability) + ")";
    }
    return WithDetail(snapshot, std::string(*pattern), std::move(detail));
  }
  if (!classify) return std::nullopt;
  const Source* best = nullptr;
  InjectionScore best_score;
  size_t budget = kMaxClassifiedBytes;
  for (const Source* source : distinct) {
    if (source->text->size() > budget) break;
    budget -= source->text->size();
    const InjectionScore score = EmbeddedInjectionModel().Score(source->channel, *source->text);
    if (score.flagged && (best == nullptr || score.probability > best_score.probability)) {
      best = source;
      best_score = score;
    }
  }
  if (best == nullptr) return std::nullopt;
  return WithDetail(
      snapshot, std::string(kClassifierSignature),
      "classifier score " + FormatScore(best_score.probability) + " on " + best->where);
}

}  // namespace vigil
