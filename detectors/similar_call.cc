#include <algorithm>
#include <cctype>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "detectors/detector_util.h"
#include "detectors/loop_context.h"
#include "detectors/trigrams.h"
#include "detectors/unicode.h"
#include "domain/hash.h"

namespace vigil {
namespace {

// Comparing every message with every other is quadratic. An execution with this many LLM calls is
// already far beyond every step threshold, so only its first kMaxMessages messages are compared:
// at most ~2 M pair comparisons, while the final pass runs inside the terminal PATCH.
constexpr size_t kMaxMessages = 2000;

// One llm_call with a non-empty message, and what the context-aware rule compares besides it.
struct Call {
  const std::string* message;
  TrigramBag bag;
  CallIdentity identity;
  uint64_t actions = 0;                    // the tool calls made after it, in order (see ActionsOf)
  const std::string* response;             // nullptr when the call has none
  std::optional<TrigramBag> response_bag;  // built on first use
};

// Mixes the keys of the tool calls that follow each llm_call (up to the next one) into one number
// per call: equal numbers mean the agent did the same thing next. Indexed like CallIdentities.
std::vector<uint64_t> ActionsOf(const std::vector<Event>& events) {
  std::vector<uint64_t> actions;
  for (const Event& event : events) {
    if (event.type == EventType::kLlmCall) {
      actions.push_back(0);
    } else if (event.type == EventType::kToolCall && !actions.empty()) {
      const uint64_t key = event.fields.tool_call_hash.value_or(0);
      actions.back() = (actions.back() ^ (key + 1)) * 0x100000001b3ull;  // FNV-1a style step
    }
  }
  return actions;
}

std::vector<Call> CallsOf(const std::vector<Event>& events, bool context_aware) {
  std::vector<CallIdentity> identities;
  std::vector<uint64_t> actions;
  if (context_aware) {
    identities = CallIdentities(events, true);
    actions = ActionsOf(events);
  }
  std::vector<Call> calls;
  size_t position = 0;  // index among all llm_calls, as in `identities`
  for (const Event& event : events) {
    if (calls.size() == kMaxMessages) break;
    if (event.type != EventType::kLlmCall) continue;
    const size_t at = position++;
    const std::optional<std::string>& message = event.fields.user_message;
    if (!message || message->empty()) continue;
    Call call{&*message, Trigrams(*message), {}, 0, nullptr, std::nullopt};
    if (context_aware && at < identities.size()) {
      call.identity = identities[at];
      call.actions = actions[at];
      if (event.fields.response_text) call.response = &*event.fields.response_text;
    }
    calls.push_back(std::move(call));
  }
  return calls;
}

// Two responses are alike when either call has none (a failed call answers nothing), when they are
// equal, or when they are as close as the messages must be.
bool ResponsesAlike(Call& a, Call& b, double max_distance) {
  if (!a.response || !b.response || *a.response == *b.response) return true;
  if (!a.response_bag) a.response_bag = Trigrams(*a.response);
  if (!b.response_bag) b.response_bag = Trigrams(*b.response);
  return CosineDistance(*a.response_bag, *b.response_bag) < max_distance;
}

// A change of at most this many bytes is a repeat whatever it is: a character or two.
constexpr size_t kTinyChangeBytes = 8;

// `text` with every run of letters and digits that holds a digit replaced by '#': a counter, a
// timestamp, a request id and a hash all read the same.
std::string NumbersMasked(std::string_view text) {
  std::string masked;
  size_t i = 0;
  while (i < text.size()) {
    const auto alnum = [&](size_t k) { return std::isalnum(static_cast<unsigned char>(text[k])); };
    if (!alnum(i)) {
      masked.push_back(text[i++]);
      continue;
    }
    size_t end = i;
    bool digit = false;
    for (; end < text.size() && alnum(end); ++end) {
      digit = digit || std::isdigit(static_cast<unsigned char>(text[end]));
    }
    if (digit) {
      masked.push_back('#');
    } else {
      masked.append(text.substr(i, end - i));
    }
    i = end;
  }
  return masked;
}

// Whether two changed parts are alike: tiny, equal once numbers are masked, or close as trigrams.
bool ChangedPartsAlike(std::string_view a, std::string_view b, double max_distance) {
  if (std::max(a.size(), b.size()) <= kTinyChangeBytes) return true;
  if (NumbersMasked(a) == NumbersMasked(b)) return true;
  return CosineDistance(Trigrams(a), Trigrams(b)) < max_distance;
}

std::vector<std::string_view> LinesOf(std::string_view text) {
  std::vector<std::string_view> lines;
  ForEachLine(text, [&](std::string_view line) {
    line = TrimAsciiSpace(line);
    if (!line.empty()) lines.push_back(line);
  });
  std::sort(lines.begin(), lines.end());
  lines.erase(std::unique(lines.begin(), lines.end()), lines.end());
  return lines;
}

// The lines of `a` that `b` does not have, joined (both sorted and without repeats).
std::string LinesOnlyIn(const std::vector<std::string_view>& a,
                        const std::vector<std::string_view>& b) {
  std::vector<std::string_view> only;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(only));
  std::string joined;
  for (std::string_view line : only) joined.append(line).push_back('\n');
  return joined;
}

// Whether what differs between two messages is itself alike. Two messages made from one template
// (a prompt applied to item after item, a step appended to a plan) are close as wholes, but they
// differ in their content, which is progress; a loop changes only a counter, a timestamp or an id,
// or words of the same sentence. The change is taken twice, and both must be alike: as the span
// between the common prefix and suffix (one edit inside a line), and as the lines each message
// has that the other lacks (content added or moved elsewhere in a long message).
bool ChangesAlike(std::string_view a, std::string_view b, double max_distance) {
  size_t prefix = 0;
  while (prefix < a.size() && prefix < b.size() && a[prefix] == b[prefix]) ++prefix;
  size_t suffix = 0;
  while (suffix < a.size() - prefix && suffix < b.size() - prefix &&
         a[a.size() - 1 - suffix] == b[b.size() - 1 - suffix]) {
    ++suffix;
  }
  if (!ChangedPartsAlike(a.substr(prefix, a.size() - prefix - suffix),
                         b.substr(prefix, b.size() - prefix - suffix), max_distance)) {
    return false;
  }
  const std::vector<std::string_view> lines_a = LinesOf(a);
  const std::vector<std::string_view> lines_b = LinesOf(b);
  return ChangedPartsAlike(LinesOnlyIn(lines_a, lines_b), LinesOnlyIn(lines_b, lines_a),
                           max_distance);
}

// Context-aware neighbours: the same message counts only as a repeat of the same request (the
// rule of identical-call), so a multi-step run that keeps its last user message is not a loop; a
// near-identical message counts only when what changed in it is alike and the agent then did the
// same thing (the same tool calls, an alike response), so observations sharing a long footer or
// template, and one prompt applied to many items, are not a loop either.
bool ContextNeighbours(Call& a, Call& b, double max_distance) {
  if (*a.message == *b.message) return a.identity.Identity() == b.identity.Identity();
  return CosineDistance(a.bag, b.bag) < max_distance && a.actions == b.actions &&
         ResponsesAlike(a, b, max_distance) && ChangesAlike(*a.message, *b.message, max_distance);
}

}  // namespace

std::optional<Finding> DetectSimilarCall(const ExecutionSnapshot& snapshot, const Policy& policy) {
  if (!policy.similar_call.enabled) return std::nullopt;
  const int64_t min_cluster = policy.similar_call.min_cluster;
  const double max_distance = policy.similar_call.max_distance;
  const bool context_aware = policy.similar_call.context_aware;

  std::vector<Call> calls = CallsOf(snapshot.events, context_aware);
  if (static_cast<int64_t>(calls.size()) < min_cluster) return std::nullopt;

  // Each pair is compared at most once: message j looks up what message i < j already learned.
  const size_t n = calls.size();
  std::vector<int8_t> close(n * n, -1);  // -1 unknown, 0 far, 1 close; at most 4 MB
  const auto is_close = [&](size_t i, size_t j) {
    int8_t& cached = close[std::min(i, j) * n + std::max(i, j)];
    if (cached < 0) {
      const bool near = context_aware ? ContextNeighbours(calls[i], calls[j], max_distance)
                                      : CosineDistance(calls[i].bag, calls[j].bag) < max_distance;
      cached = near ? 1 : 0;
    }
    return cached == 1;
  };
  for (size_t i = 0; i < n; ++i) {
    if (calls[i].bag.empty()) continue;
    int64_t neighbours = 1;  // the message itself
    for (size_t j = 0; j < n && neighbours < min_cluster; ++j) {
      if (j == i || calls[j].bag.empty()) continue;
      if (is_close(i, j)) ++neighbours;
    }
    if (neighbours >= min_cluster) {
      std::string joined;
      for (const std::string& trigram : TopTrigrams(calls[i].bag, 16)) joined += trigram;
      return MakeFinding(snapshot, kSimilarCall, "similar_call_" + Sha256Hex(joined).substr(0, 8));
    }
  }
  return std::nullopt;
}

}  // namespace vigil
