// Helpers shared by the detector files. Internal to detectors/: other folders include detectors.h.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>

#include "detectors/detectors.h"

namespace vigil {

// Detector names as stored in findings.detector (docs/detection.md#detectors).
inline constexpr std::string_view kModelDrift = "model_drift";
inline constexpr std::string_view kCrash = "crash";
inline constexpr std::string_view kTimeBudget = "time_budget";
inline constexpr std::string_view kStepCount = "step_count";
inline constexpr std::string_view kToolFailure = "tool_failure";
inline constexpr std::string_view kValidatorFailure = "validator_failure";
inline constexpr std::string_view kIdenticalCall = "identical_call";
inline constexpr std::string_view kSimilarCall = "similar_call";
inline constexpr std::string_view kPromptInjection = "prompt_injection";
inline constexpr std::string_view kCostVelocity = "cost_velocity";
inline constexpr std::string_view kLexicalDrift = "lexical_drift";
inline constexpr std::string_view kToolLoop = "tool_loop";
inline constexpr std::string_view kBaseline = "baseline";
inline constexpr std::string_view kCostBaseline = "cost_baseline";

// Calls visit(line) for each line of `text` (split at '\n', the '\n' left out), empty ones and
// the last one included, in order.
template <typename Visit>
void ForEachLine(std::string_view text, Visit&& visit) {
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = std::min(text.find('\n', start), text.size());
    visit(text.substr(start, end - start));
    start = end + 1;
  }
}

// The finding of detector `detector` (one of the names above) for the snapshot's execution, with
// class, priority and group id filled in.
Finding MakeFinding(const ExecutionSnapshot& snapshot, std::string_view detector,
                    std::string signature);

}  // namespace vigil
