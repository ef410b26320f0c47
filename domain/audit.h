// Rows of the audit log (storage/audit.h). Plain structs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "domain/values.h"

namespace vigil {

// One audit row. Empty strings / zero mean absent (NULL).
struct AuditEntry {
  int64_t audit_id = 0;  // assigned on insert
  int64_t time_ms = 0;
  int64_t project = 0;     // internal id; 0 = no project
  std::string project_id;  // public id (reads only)
  Actor actor = Actor::kSystem;
  std::string key_id;
  std::string action;  // request | api_key.create | admin.tier | ...
  std::string method;
  std::string path;  // without the query string
  int status = 0;
  std::string client_ip;
  std::string detail_json;  // a JSON object, or ""
};

struct AuditFilter {
  bool all_projects = false;  // admin view; otherwise only `project`
  int64_t project = 0;
  std::optional<int64_t> since_ms;
  std::optional<int64_t> until_ms;
  std::string action;
  std::string exclude_action;  // rows with this action are left out ("" = none)
  int64_t limit = 50;
  int64_t offset = 0;
  int64_t after_audit_id = 0;  // ListAuditAfter: rows with a larger id only
};

}  // namespace vigil
