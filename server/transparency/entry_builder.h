// The log entry of a terminal execution (docs/transparency.md#entries): built from what storage
// holds, the same way when sealing and when `vigil audit check` recomputes it.
#pragma once

#include <cstdint>
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

// The entry of `execution` (public project id `project_id`) with the events whose row is at most
// `last_event` (all of `events` must belong to it, in sequence order) and its stored findings.
tlog::ExecutionEntry BuildExecutionEntry(const std::string& project_id, const Execution& execution,
                                         const std::vector<Event>& events, int64_t last_event,
                                         const std::vector<StoredFinding>& findings,
                                         const std::string& policy_sha256);

// The highest event row among `events` (0 for none): where the sealed transcript ends.
int64_t LastEventRow(const std::vector<Event>& events);

// The canonical bytes of a stored JSON text (a payload); a JSON string of the text when it does
// not parse. Written straight from the parsed document.
std::string CanonicalJson(std::string_view json);

}  // namespace vigil
