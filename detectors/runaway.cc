// One runaway, one group. A runaway agent trips several loops detectors at once (a step count, a
// repeated call, a cluster of similar calls); each finding is kept, but reporting each as its own
// problem would open as many groups and send as many webhooks for what is one incident.
#include "detectors/detector_util.h"

namespace vigil {

std::optional<int> RunawayRank(std::string_view detector) {
  // Most specific first: a repeated call or tool call names the fix; a cluster of similar messages
  // points at it; going far past the agent's own baseline names the agent; a size bucket only says
  // that something ran long.
  static constexpr std::string_view kOrder[] = {kIdenticalCall, kToolLoop,  kSimilarCall,
                                                kBaseline,      kStepCount, kTimeBudget};
  for (size_t i = 0; i < std::size(kOrder); ++i) {
    if (kOrder[i] == detector) return static_cast<int>(i);
  }
  return std::nullopt;
}

namespace {

// The index of the most specific loops finding of `findings`, or std::nullopt.
std::optional<size_t> MostSpecific(const std::vector<Finding>& findings) {
  std::optional<size_t> best;
  std::optional<int> best_rank;
  for (size_t i = 0; i < findings.size(); ++i) {
    if (findings[i].failure_class != kClassLoops) continue;
    const std::optional<int> rank = RunawayRank(findings[i].detector);
    if (!rank) continue;
    if (!best || *rank < *best_rank) {
      best = i;
      best_rank = rank;
    }
  }
  return best;
}

}  // namespace

std::optional<size_t> GroupRunaway(std::vector<Finding>* findings, const Policy& policy,
                                   std::string_view stored_group) {
  if (!policy.loops.one_group) return std::nullopt;
  const std::optional<size_t> best = MostSpecific(*findings);
  if (!best) return std::nullopt;
  const std::string group =
      stored_group.empty() ? (*findings)[*best].group_id : std::string(stored_group);
  for (Finding& finding : *findings) {
    if (finding.failure_class == kClassLoops && RunawayRank(finding.detector)) {
      finding.group_id = group;
    }
  }
  if (!stored_group.empty()) return std::nullopt;
  return best;
}

std::string StoredRunawayGroup(const std::vector<Finding>& findings) {
  const std::optional<size_t> best = MostSpecific(findings);
  return best ? findings[*best].group_id : std::string();
}

}  // namespace vigil
