// The events a detection pass judges of one execution (docs/detection.md#what-a-pass-reads): the
// first ones in sequence order, at most limits::kMaxJudgedEvents of them and, in the final pass,
// at most limits::kMaxJudgedBytes of what it keeps of them. Past that an execution is still
// stored, counted and sealed in full; only its detectors stop reading it, so an execution of a
// million events costs a pass no more memory than one of twenty thousand.
#pragma once

#include <cstddef>
#include <cstdint>

#include "detectors/detectors.h"
#include "domain/model.h"
#include "storage/detection.h"

namespace vigil {

// What the final pass keeps of the events storage reads, one at a time (storage::LoadForDetection's
// `prepare`: `[&](Event& e) { return judged.Take(e); }`). Not thread-safe: one per pass.
class FinalPassEvents {
 public:
  FinalPassEvents(size_t max_events, size_t max_bytes)
      : max_events_(max_events), max_bytes_(max_bytes) {}

  // Slims `e` to the payload fields the detectors read and keeps it while both bounds allow.
  // Once one is reached every later event is left out (the judged events stay a prefix), and the
  // cost of each llm_call left out is added to left_out_cost().
  storage::EventRead Take(Event& e);

  int64_t left_out() const { return left_out_; }
  // What the llm_calls left out cost, by the price table (ComputeCostUsd's rule).
  double left_out_cost() const { return left_out_cost_.total(); }

 private:
  size_t max_events_;
  size_t max_bytes_;
  size_t kept_ = 0;
  size_t bytes_ = 0;
  bool full_ = false;
  int64_t left_out_ = 0;
  CallCostSum left_out_cost_;
};

}  // namespace vigil
