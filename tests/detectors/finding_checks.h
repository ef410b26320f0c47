// Checks on a detector's finding shared by the detector tests: which detector fired, under which
// failure class, signature and priority, and that its group follows from those.
#pragma once

#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <vector>

#include "detectors/detectors.h"
#include "tests/detectors/snapshot_builder.h"

namespace vigil::test {

// What every finding of one detector shares, whatever fired it.
struct DetectorKind {
  const char* detector;
  const char* failure_class;
  int priority;
};

// `finding` is there, with `signature`; the test checks what else it means.
inline void CheckSignature(const std::optional<Finding>& finding, const std::string& signature) {
  REQUIRE(finding);
  CHECK(finding->signature == signature);
}

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

// One row of a threshold table: what the snapshot is built from, and the bucket the finding must
// have (nullptr: no finding).
template <typename Value>
struct BucketCase {
  Value value;
  const char* signature;
};

// For each case, `detect(value)` gives `kind`'s finding in the case's bucket, or none
// (CheckBucket).
template <typename Value, typename Detect>
void CheckBuckets(const std::vector<BucketCase<Value>>& cases, const DetectorKind& kind,
                  Detect detect) {
  for (const BucketCase<Value>& c : cases) {
    const Value value = c.value;
    CAPTURE(value);
    CheckBucket(detect(value), kind, c.signature);
  }
}

}  // namespace vigil::test
