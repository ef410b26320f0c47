// API keys of a project. Storage only ever sees a key's hash (hex SHA-256 of the raw key), its
// public id and its display prefix; the raw key never reaches it.
//
// Conventions (tenancy, absence, errors, thread-safety): storage/txn.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "domain/account.h"
#include "domain/status.h"
#include "storage/txn.h"

namespace vigil::storage {

// Creates the key `key_id` of `project`, or replaces the hash, prefix and name of the project's
// existing key `key_id` (rotation keeps the id). Key ids are unique across projects: a `key_id`
// that belongs to another project is left untouched and nothing is stored (no error). Idempotent.
Status UpsertKey(WriteTxn& txn, int64_t project, const std::string& key_id,
                 const std::string& key_hash, const std::string& key_prefix,
                 const std::string& name, int64_t now_ms);
// How many keys the project has (the per-project key limit is checked against it in the same
// write job that adds one).
Result<int64_t> CountKeys(Txn& txn, int64_t project);
// The name of the project's key `key_id`; nullopt when the project has no such key.
Result<std::optional<std::string>> KeyName(Txn& txn, int64_t project, const std::string& key_id);
// Deletes the project's key `key_id`; false when the project has no such key.
Result<bool> DeleteKey(WriteTxn& txn, int64_t project, const std::string& key_id);
// The project's keys, newest first (then by key id).
Result<std::vector<ApiKeyRow>> ListKeys(Txn& txn, int64_t project);

// The key whose hash is `key_hash`, with the project it authenticates as; nullopt when unknown.
// Cross-tenant by design: this is how a request finds its tenant.
Result<std::optional<AuthRecord>> FindKeyByHash(Txn& txn, const std::string& key_hash);
// Records last_used_at for each (key id, time) pair; unknown ids are skipped. Cross-tenant by
// design: the auth layer batches the keys of every project it saw, and key ids are unique across
// projects.
Status TouchKeys(WriteTxn& txn, const std::vector<std::pair<std::string, int64_t>>& key_last_used);

}  // namespace vigil::storage
