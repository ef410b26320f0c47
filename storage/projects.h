// Projects: the tenants. Creating them, their settings (tier, grants, rate limit, suspension,
// retention), deleting them with everything they own, and the admin views across projects.
//
// Conventions (tenancy, absence, errors, thread-safety): storage/txn.h. A project is named by its
// internal id (`int64_t project`), except where a function says it takes the public id.
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

// Creates the project with public id `project_id` unless it exists; returns its internal id either
// way (the dev bootstrap and the CLI run this on every start). Internal ids are never reused, even
// after a project is deleted.
Result<int64_t> EnsureProject(WriteTxn& txn, const std::string& project_id, const std::string& name,
                              Tier tier, int64_t now_ms);
// Creates a new project (signup); returns its internal id. Conflict when `project_id` exists.
Result<int64_t> CreateProject(WriteTxn& txn, const std::string& project_id, const std::string& name,
                              const std::string& owner_email, Tier tier, int64_t now_ms);
// nullopt when there is no such project.
Result<std::optional<ProjectInfo>> GetProject(Txn& txn, int64_t project);
// The internal id of the project with public id `project_id`; nullopt when there is none.
// Cross-tenant by design: it is how the CLI, the admin API and billing name a project.
Result<std::optional<int64_t>> FindProjectId(Txn& txn, const std::string& project_id);

// Settings. Each is a no-op (and not an error) for a project that does not exist.
// `expires_at_ms` 0 = never.
Status SetTier(WriteTxn& txn, int64_t project, Tier tier, int64_t expires_at_ms);
// Adds `delta` (may be negative) to the granted executions and sets their expiry (0 = never).
Status AddGrant(WriteTxn& txn, int64_t project, int64_t delta, int64_t expires_at_ms);
// nullopt = the server's default for that parameter.
Status SetRateLimit(WriteTxn& txn, int64_t project, std::optional<double> burst,
                    std::optional<double> per_sec);
// Suspends (recording `reason` and `now_ms`) or lifts a suspension (clearing both).
Status SetSuspended(WriteTxn& txn, int64_t project, bool suspended, const std::string& reason,
                    int64_t now_ms);
// nullopt = the server's default retention.
Status SetRetention(WriteTxn& txn, int64_t project, std::optional<int64_t> days);

// Deletes the project and every row it owns, in every table (keys, executions, events, findings,
// groups, policy, webhooks with their outbox and log, audit rows, Stripe events, abuse signals).
// Another project's rows are untouched. Deleting a missing project is a no-op.
Status DeleteProject(WriteTxn& txn, int64_t project);

// (project, retention days) for every project whose effective retention is > 0, given the global
// default (0 = keep forever) for projects without their own value. Cross-tenant: the retention
// sweep visits every project.
Result<std::vector<std::pair<int64_t, int64_t>>> RetentionPolicies(Txn& txn, int64_t default_days);

// --- admin views: cross-tenant by design (the operator's API) ---
// Newest first, one page.
Result<std::vector<AdminProject>> ListAdminProjects(Txn& txn, int64_t limit, int64_t offset);
// By public id; nullopt when there is none.
Result<std::optional<AdminProject>> GetAdminProject(Txn& txn, const std::string& project_id);
// By internal id (a tenant reading its own billing state); nullopt when there is none.
Result<std::optional<AdminProject>> GetAdminProjectById(Txn& txn, int64_t project);
// Row counts and an estimate of stored bytes for every project. `webhook_deliveries` is left 0
// (storage/webhooks.h CountWebhookDeliveries fills it).
Result<std::vector<ProjectUsage>> ProjectUsages(Txn& txn);

}  // namespace vigil::storage
