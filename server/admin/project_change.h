// The one skeleton of the admin routes that change a project (docs/api.md#admin-api): find the
// project named by the path, let the route read and validate its request and say what it changes,
// store the change together with its audit row, drop the per-project state the change made stale,
// and answer `{"ok":true,"project_id":...}` with the route's own fields.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "domain/account.h"
#include "domain/status.h"
#include "server/codec/json_writer.h"
#include "server/http/request.h"
#include "storage/txn.h"

namespace vigil {

class Store;

// What one admin route changes, as its request asked.
struct ProjectChange {
  std::string action;                       // the audit row's action, e.g. "admin.tier"
  std::function<void(JsonWriter&)> detail;  // the fields of the audit row's detail object
  std::function<Status(WriteTxn&)> write;   // the change, in the audit row's transaction
  std::function<void(JsonWriter&)> answer;  // the answer's fields after "project_id"
  std::function<void()> committed;          // optional: drops what the change made stale
  bool audit_outlives_project = false;      // the row names no project (a deletion)
};

// Reads and validates the request for `project` and describes the change; an error is answered as
// it is, and nothing is written.
using PlanProjectChange = std::function<Result<ProjectChange>(const AdminProject& project)>;

// Runs an audited change of the project named by the path ({id}): 404 for an unknown project
// (before the request body is looked at), then `plan`'s error if it has one, then the change and
// its audit row in one write, then `committed`, then the answer.
void ChangeProject(Store& store, RequestContext& ctx, const PlanProjectChange& plan);

// The admin view of the project named by the path ({id}), or nullopt with the error (404 for an
// unknown project) already sent. Sets ctx.audit_project so the admin request shows in that
// project's audit log.
std::optional<AdminProject> FindAdminProject(Store& store, RequestContext& ctx);

}  // namespace vigil
