// Halt requests of a project's executions: a halt is persisted on the execution so an SDK polling
// or streaming for it learns of it even after a restart.
//
// Conventions (tenancy, absence, errors, thread-safety): storage/txn.h.
#pragma once

#include <cstdint>
#include <string>

#include "domain/execution_rows.h"
#include "domain/status.h"
#include "storage/txn.h"

namespace vigil::storage {

// Whether the project's execution exists, whether it is terminal, and its persisted halt reason.
// A missing execution is {exists = false}, not an error.
Result<HaltState> GetHaltState(Txn& txn, int64_t project, const std::string& execution_id);
// Persists a halt (reason and time) for a non-terminal execution; a later request replaces the
// reason. Returns the state after the call: for a missing or terminal execution nothing is stored
// and the state says why.
Result<HaltState> RequestHalt(WriteTxn& txn, int64_t project, const std::string& execution_id,
                              const std::string& reason, int64_t now_ms);

}  // namespace vigil::storage
