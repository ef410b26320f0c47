// The log entry of a terminal execution (docs/transparency.md#entries): built from what storage
// holds, the same way when sealing and when `vigil audit check` recomputes it.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "domain/detection_rows.h"
#include "domain/model.h"
#include "domain/tlog/canonical_json.h"
#include "domain/tlog/execution_entry.h"

namespace vigil {

// An event's canonical bytes: the RFC 8785 form of
// {"duration_ms","event_id","event_type","payload","sequence","timestamp"} with the stored payload
// JSON (re-serialized canonically; a payload that does not parse is kept as a JSON string).
std::string CanonicalEvent(const Event& e);

// An execution's entry built one event at a time, so that sealing an execution of any size holds
// one event, not all of them: Add each event in sequence order as storage reads it, then Finish.
class EntryStream {
 public:
  // Events whose row (arrival) is above `last_event` are left out: they arrived after the seal.
  explicit EntryStream(int64_t last_event = INT64_MAX) : last_event_(last_event) {}

  void Add(const Event& e);
  // The highest event row added (0 for none): where the sealed transcript ends.
  int64_t last_row() const { return last_row_; }
  // How many events were added (and not left out).
  int64_t events() const { return out_.event_count; }
  // The entry of `execution` (public project id `project_id`) with the events added and its
  // stored findings. Call once.
  tlog::ExecutionEntry Finish(const std::string& project_id, const Execution& execution,
                              const std::vector<StoredFinding>& findings,
                              const std::string& policy_sha256);

 private:
  int64_t last_event_;
  int64_t last_row_ = 0;
  tlog::ExecutionEntry out_;
  std::set<std::string> models_;
  tlog::TranscriptHasher transcript_;
  std::string canonical_;  // one event's bytes at a time, its buffer reused
};

// The canonical bytes of a stored JSON text (a payload); a JSON string of the text when it does
// not parse. Written straight from the parsed document.
std::string CanonicalJson(std::string_view json);

}  // namespace vigil
