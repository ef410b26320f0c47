// The development master key (docs/operations.md#dev-bootstrap): in dev mode without
// VIGIL_MASTER_KEY, the server seals webhook secrets under a key it generated once and keeps
// beside the database, so webhooks can be tried locally. Never used outside dev mode.
#pragma once

#include <string>

#include "domain/status.h"

namespace vigil {

// Where the dev master key of the database at `db_path` lives: `<db_path>.dev-master-key`.
std::string DevMasterKeyPath(const std::string& db_path);

// The 32 raw key bytes stored at `path`, creating the file (mode 0600, 64 hex digits) with a fresh
// random key when it does not exist. Fails closed: a file others may read, or one whose content is
// not a key, is an error rather than a key to use or replace.
Result<std::string> LoadOrCreateDevMasterKey(const std::string& path);

}  // namespace vigil
