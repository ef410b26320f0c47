// The route table's types and the matcher. Routes themselves are listed in server/routes.cc.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "server/accounts/rate_limiter.h"
#include "server/http/request.h"

namespace vigil {

enum class Access {
  kPublic,   // no credentials (health, signup)
  kApiKey,   // Bearer API key: auth -> suspension -> schema version -> rate limit
  kAdmin,    // Bearer admin token, its own chain; customer keys never pass it
  kMetrics,  // Bearer VIGIL_METRICS_TOKEN, else the admin token; neither configured => 503
};

// kTyped: a body whose Content-Type the handler checks itself (a route that takes more than
// JSON); the pipeline's JSON-only check skips it.
enum class BodyUse { kNone, kOptional, kRequired, kTyped };

struct Route {
  const char* method;  // GET also answers HEAD
  // e.g. "/executions/{id}"; `{...}` matches one URL-decoded segment. A last segment `{...*}`
  // matches the rest of the path (one or more segments, possibly empty, decoded and rejoined
  // with '/'), for the dashboard's deep links.
  const char* pattern;
  Access access;
  Bucket bucket;  // which rate-limit bucket the request draws from
  BodyUse body;
  RouteHandler handler;
  ErrorBody error_body = nullptr;  // null: the `{"ok":false,"error":...}` envelope
};

struct RouteMatch {
  const Route* route = nullptr;     // set when path and method match
  bool path_known = false;          // some route has this path (=> 405 rather than 404)
  std::string allow;                // Allow header for 405
  std::vector<std::string> params;  // decoded `{...}` segments
};

// Matches `path` (raw, before '?') and `method` against `routes`.
RouteMatch MatchRoute(const std::vector<Route>& routes, std::string_view method,
                      std::string_view path);

// Percent-decodes one path segment ("+" stays "+"). Returns false for malformed escapes.
bool DecodeSegment(std::string_view in, std::string* out);

}  // namespace vigil
