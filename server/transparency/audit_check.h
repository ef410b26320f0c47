// `vigil audit check` (docs/transparency.md#audit-check): recomputes every sealed entry from what
// the database holds now and reports the records changed after they were sealed (an edited event,
// execution or finding), and stored log hashes that no longer match the entries. Events that
// arrived after a seal are outside its transcript and are not reported.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "domain/status.h"
#include "storage/store.h"

namespace vigil {

struct SealAuditReport {
  int64_t logs = 0;
  int64_t checked = 0;  // sealed entries compared with the database
  int64_t removed = 0;  // sealed executions whose data retention or project deletion removed
  std::vector<std::string> changed;     // "<project>/<execution> (index I): fields that differ"
  std::vector<std::string> log_faults;  // stored hashes or checkpoints that do not match entries

  bool clean() const { return changed.empty() && log_faults.empty(); }
};

// Reads the whole store in short read transactions; cross-tenant by design (an operator command).
Result<SealAuditReport> AuditSealedRecords(Store& store);

}  // namespace vigil
