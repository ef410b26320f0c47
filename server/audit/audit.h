// The audit log (docs/api.md#audit-log): building rows from a request and writing them as JSON.
// Rows never carry a raw key, hash, secret, Authorization header or body: only ids, route facts and
// small `detail` objects the callers build from non-secret fields.
#pragma once

#include <string>

#include "server/http/request.h"
#include "storage/store.h"

namespace vigil {

// A row for `action` taken by the caller of `ctx` (an API key or the admin), stamped with the
// request's method, path (no query) and client IP. `project` 0 means ctx's own project.
AuditEntry ActionEntry(const RequestContext& ctx, const std::string& action, int status,
                       const std::string& detail_json = "", int64_t project = 0);

// Client-controlled text (a request path, a proxy's client-IP header) made safe to store and
// show: bytes outside printable ASCII are percent-encoded (so every audit row and abuse detail is
// valid UTF-8 JSON) and the result is cut at `max_bytes`.
std::string AuditText(std::string_view text, size_t max_bytes);
// A request target's path (no query string) as audit rows record it.
std::string AuditPath(std::string_view target);

// `{"key_id":...}`: the detail of key audit rows (an id, never the key).
std::string KeyDetail(const std::string& key_id);

// One entry as GET /audit-log shows it.
void WriteAuditEntry(JsonWriter& w, const AuditEntry& e);

}  // namespace vigil
