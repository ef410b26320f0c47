// The one route table: the inventory of Vigil's HTTP API.
//
// Pipeline for every request (server/app.cc, spec §2.1): security headers -> body size from
// headers (413, before the body is read) -> OPTIONS (204) -> routing (404/405) -> for API-key routes
// auth (401) -> suspension (403) -> schema version (400) -> rate limit (429, X-RateLimit-*) ->
// Content-Type (415) -> handler (503 when the write queue is full).
#include "server/handlers.h"
#include "server/router.h"

namespace vigil {

const std::vector<Route>& Routes() {
  using A = Access;
  using B = BodyUse;
  static const std::vector<Route> kRoutes = {
      {"GET", "/health", A::kPublic, Bucket::kOther, B::kNone, HandleHealth},
      {"POST", "/signup", A::kPublic, Bucket::kOther, B::kRequired, HandleSignup},

      {"POST", "/executions", A::kApiKey, Bucket::kIngest, B::kRequired, HandleCreateExecution},
      {"GET", "/executions", A::kApiKey, Bucket::kOther, B::kNone, HandleListExecutions},
      {"GET", "/executions/{id}", A::kApiKey, Bucket::kOther, B::kNone, HandleGetExecution},
      {"PATCH", "/executions/{id}", A::kApiKey, Bucket::kIngest, B::kRequired,
       HandlePatchExecution},
      {"GET", "/executions/{id}/events", A::kApiKey, Bucket::kOther, B::kNone,
       HandleListExecutionEvents},
      {"POST", "/events", A::kApiKey, Bucket::kIngest, B::kRequired, HandleIngestEvents},
      {"POST", "/executions/{id}/halt", A::kApiKey, Bucket::kOther, B::kOptional, HandleHalt},
      {"GET", "/executions/{id}/halt-stream", A::kApiKey, Bucket::kOther, B::kNone,
       HandleHaltStream},

      {"GET", "/project", A::kApiKey, Bucket::kOther, B::kNone, HandleGetProject},
      {"GET", "/stats", A::kApiKey, Bucket::kOther, B::kNone, HandleStats},

      {"GET", "/failure-groups", A::kApiKey, Bucket::kOther, B::kNone, HandleListFailureGroups},
      {"GET", "/failure-groups/{id}", A::kApiKey, Bucket::kOther, B::kNone, HandleGetFailureGroup},
      {"GET", "/failure-groups/{id}/executions", A::kApiKey, Bucket::kOther, B::kNone,
       HandleListGroupExecutions},
      {"GET", "/policy", A::kApiKey, Bucket::kOther, B::kNone, HandleGetPolicy},
      {"PUT", "/policy", A::kApiKey, Bucket::kOther, B::kRequired, HandlePutPolicy},
      {"GET", "/playbooks", A::kApiKey, Bucket::kOther, B::kNone, HandleGetPlaybook},
  };
  return kRoutes;
}

}  // namespace vigil
