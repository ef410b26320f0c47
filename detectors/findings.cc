#include <cassert>
#include <utility>

#include "detectors/detector_util.h"
#include "domain/hash.h"

namespace vigil {

std::string GroupId(std::string_view project_id, std::string_view failure_class,
                    std::string_view signature) {
  std::string key;
  key.reserve(project_id.size() + failure_class.size() + signature.size() + 2);
  key.append(project_id).append("|").append(failure_class).append("|").append(signature);
  return "grp-" + Sha256Hex(key).substr(0, 16);
}

Finding MakeFinding(const ExecutionSnapshot& snapshot, std::string_view detector,
                    std::string signature) {
  const DetectorInfo* info = FindDetector(detector);
  assert(info != nullptr);  // detector names are compile-time constants of detector_util.h
  Finding finding;
  finding.detector = std::string(info->name);
  finding.failure_class = std::string(info->failure_class);
  finding.group_id = GroupId(snapshot.execution.project_id, info->failure_class, signature);
  finding.signature = std::move(signature);
  finding.priority = info->priority;
  return finding;
}

}  // namespace vigil
