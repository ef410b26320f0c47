// The detection pipeline: which detectors a pass runs, and in which order.
//
// Order is priority order (docs/detection.md#detectors, Mesedi's). It matters twice: findings are
// listed in it, and an execution's failure_group_id is its first finding's group. Model drift runs
// first so a crash caused by switching to a never-seen model groups under drift, where the fix is;
// the crash finding is still kept beside it.
#include <exception>

#include "detectors/buckets.h"
#include "detectors/detector_util.h"

namespace vigil {
namespace {

using DetectFn = std::optional<Finding> (*)(const ExecutionSnapshot&, const Policy&);

struct Stage {
  DetectorInfo info;
  DetectFn detect;
};

const std::vector<Stage>& Stages() {
  static const std::vector<Stage> stages = {
      {{kModelDrift, kClassDrift, 1, false}, &DetectModelDrift},
      {{kCrash, kClassCrashes, 2, false}, &DetectCrash},
      {{kTimeBudget, kClassLoops, 3, true}, &DetectTimeBudget},
      {{kStepCount, kClassLoops, 4, true}, &DetectStepCount},
      {{kToolFailure, kClassToolFailures, 5, false}, &DetectToolFailure},
      {{kValidatorFailure, kClassValidatorFailures, 6, false}, &DetectValidatorFailure},
      {{kIdenticalCall, kClassLoops, 7, true}, &DetectIdenticalCall},
      {{kSimilarCall, kClassLoops, 8, false}, &DetectSimilarCall},
      {{kPromptInjection, kClassPromptInjection, 9, false}, &DetectPromptInjection},
      {{kCostVelocity, kClassCostVelocity, 10, true}, &DetectCostVelocity},
      {{kLexicalDrift, kClassDrift, 11, false}, &DetectLexicalDrift},
      // Last, so the priorities of Mesedi's detectors stay as they are; an execution's group is its
      // runaway's group whichever loops finding has the best priority (GroupRunaway).
      {{kToolLoop, kClassLoops, 12, true}, &DetectToolLoop},
      // After Mesedi's detectors for the same reason. Live, so the batch that takes an execution
      // past its agent's baseline raises the finding while the agent still runs.
      {{kBaseline, kClassLoops, 13, true}, &DetectBaseline},
      {{kCostBaseline, kClassCostVelocity, 14, true}, &DetectCostBaseline},
  };
  return stages;
}

}  // namespace

const std::vector<DetectorInfo>& AllDetectors() {
  static const std::vector<DetectorInfo> detectors = [] {
    std::vector<DetectorInfo> infos;
    for (const Stage& stage : Stages()) infos.push_back(stage.info);
    return infos;
  }();
  return detectors;
}

const DetectorInfo* FindDetector(std::string_view name) {
  for (const DetectorInfo& info : AllDetectors()) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

bool NeedsHistory(const Policy& policy, Pass pass) {
  // Both history readers are final-only; a live pass must stay cheap because it runs after every
  // events batch.
  return pass == Pass::kFinal && (policy.model_drift.enabled || policy.lexical_drift.enabled);
}

const std::string& DriftScopeName(const Policy& policy, const Execution& execution) {
  static const std::string kProject;
  return policy.model_drift.per_name ? execution.name : kProject;
}

std::vector<Finding> RunDetectors(const ExecutionSnapshot& snapshot, const Policy& policy,
                                  Pass pass, std::vector<DetectorError>* errors) {
  std::vector<Finding> findings;
  for (const Stage& stage : Stages()) {
    if (pass == Pass::kLive && !stage.info.live) continue;
    // Each detector checks its own enabled flag, because a per-execution budget can switch a
    // disabled detector back on and only the detector knows which budget field concerns it.
    try {
      if (std::optional<Finding> finding = stage.detect(snapshot, policy)) {
        findings.push_back(std::move(*finding));
      }
    } catch (const std::exception& e) {
      // One broken detector must not cost the others their findings
      // (docs/detection.md#live-and-final-passes).
      if (errors != nullptr) errors->push_back({std::string(stage.info.name), e.what()});
    }
  }
  return findings;
}

bool LiveFindingSupersedes(const Finding& stored, const Finding& fresh) {
  if (stored.detector != fresh.detector) return false;
  const std::optional<int> old_rank = BucketRank(stored.signature);
  const std::optional<int> new_rank = BucketRank(fresh.signature);
  return old_rank && new_rank && *new_rank > *old_rank;
}

}  // namespace vigil
