// Checks on a detector's finding shared by the detector tests: which detector fired, under which
// failure class, signature and priority, and that its group follows from those.
#pragma once

#include <doctest/doctest.h>

#include <optional>
#include <string>

#include "detectors/detectors.h"
#include "tests/detectors/snapshot_builder.h"

namespace vigil::test {

// What every finding of one detector shares, whatever fired it.
struct DetectorKind {
  const char* detector;
  const char* failure_class;
  int priority;
};

// `finding` is `kind`'s finding with `signature`, in the group GroupId gives it for the snapshot
// project (MakeSnapshot).
inline void CheckFinding(const std::optional<Finding>& finding, const DetectorKind& kind,
                         const std::string& signature) {
  REQUIRE(finding);
  CHECK(finding->detector == kind.detector);
  CHECK(finding->failure_class == kind.failure_class);
  CHECK(finding->signature == signature);
  CHECK(finding->group_id == GroupId(kProject, kind.failure_class, signature));
  CHECK(finding->priority == kind.priority);
}

// For tables of threshold cases: no finding where `signature` is null, else CheckFinding.
inline void CheckBucket(const std::optional<Finding>& finding, const DetectorKind& kind,
                        const char* signature) {
  if (signature == nullptr) {
    CHECK_FALSE(finding);
    return;
  }
  CheckFinding(finding, kind, signature);
}

}  // namespace vigil::test
