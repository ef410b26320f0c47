// Halting an execution (docs/api.md#halt): the halt is persisted, then announced to the
// execution's open halt streams. Requests from the API and the detectors' auto-halt both come here.
#pragma once

#include <cstdint>
#include <string>

#include "domain/audit.h"
#include "domain/status.h"

namespace vigil {

class HaltRegistry;
class Store;

struct HaltOutcome {
  bool exists = false;   // the project has the execution
  int notified = 0;      // open streams that received the halt
  bool pending = false;  // not terminal and nobody listening: delivered when a stream opens
};

class HaltService {
 public:
  // Both must outlive the service.
  HaltService(Store& store, HaltRegistry& streams) : store_(store), streams_(streams) {}

  // Persists a halt for a non-terminal execution (a later one replaces the reason) together with
  // `audit` as the halt.request audit row, then wakes the execution's streams. An unknown
  // execution (or another project's) is reported as !exists, with nothing stored; its streams
  // open in `project`, if any, are still told (and the request audited). Thread-safe.
  Result<HaltOutcome> Request(int64_t project, const std::string& execution_id,
                              const std::string& reason, int64_t now_ms, AuditEntry audit);

 private:
  Store& store_;
  HaltRegistry& streams_;
};

}  // namespace vigil
