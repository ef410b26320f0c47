// The one route table: the inventory of Vigil's HTTP API.
//
// Pipeline for every request (server/app/app.cc, spec §2.1): security headers -> body size from
// headers (413, before the body is read) -> OPTIONS (204) -> routing (404/405) -> for API-key
// routes auth (401) -> suspension (403) -> schema version (400) -> rate limit (429, X-RateLimit-*)
// -> Content-Type (415) -> handler (503 when the write queue is full).
#include "server/handlers.h"
#include "server/http/router.h"

namespace vigil {

const std::vector<Route>& Routes() {
  using A = Access;
  using B = BodyUse;
  static const std::vector<Route> kRoutes = {
      {"GET", "/health", A::kPublic, Bucket::kOther, B::kNone, HandleHealth},
      {"GET", "/metrics", A::kMetrics, Bucket::kOther, B::kNone, HandleMetrics},
      {"POST", "/signup", A::kPublic, Bucket::kOther, B::kRequired, HandleSignup},
      {"GET", "/.well-known/security.txt", A::kPublic, Bucket::kOther, B::kNone, HandleSecurityTxt},
      {"POST", "/billing/webhook", A::kPublic, Bucket::kOther, B::kOptional, HandleStripeWebhook},

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

      {"POST", "/webhooks", A::kApiKey, Bucket::kOther, B::kRequired, HandleCreateWebhook},
      {"GET", "/webhooks", A::kApiKey, Bucket::kOther, B::kNone, HandleListWebhooks},
      {"DELETE", "/webhooks/{id}", A::kApiKey, Bucket::kOther, B::kNone, HandleDeleteWebhook},
      {"POST", "/webhooks/{id}/test", A::kApiKey, Bucket::kOther, B::kOptional, HandleTestWebhook},
      {"GET", "/webhooks/{id}/deliveries", A::kApiKey, Bucket::kOther, B::kNone,
       HandleListWebhookDeliveries},

      {"GET", "/project", A::kApiKey, Bucket::kOther, B::kNone, HandleGetProject},
      {"GET", "/stats", A::kApiKey, Bucket::kOther, B::kNone, HandleStats},
      {"GET", "/stats/timeseries", A::kApiKey, Bucket::kOther, B::kNone, HandleStatsTimeSeries},

      {"GET", "/failure-groups", A::kApiKey, Bucket::kOther, B::kNone, HandleListFailureGroups},
      {"GET", "/failure-groups/{id}", A::kApiKey, Bucket::kOther, B::kNone, HandleGetFailureGroup},
      {"GET", "/failure-groups/{id}/executions", A::kApiKey, Bucket::kOther, B::kNone,
       HandleListGroupExecutions},
      {"GET", "/policy", A::kApiKey, Bucket::kOther, B::kNone, HandleGetPolicy},
      {"PUT", "/policy", A::kApiKey, Bucket::kOther, B::kRequired, HandlePutPolicy},
      {"GET", "/playbooks", A::kApiKey, Bucket::kOther, B::kNone, HandleGetPlaybook},

      {"GET", "/api-keys", A::kApiKey, Bucket::kOther, B::kNone, HandleListKeys},
      {"POST", "/api-keys", A::kApiKey, Bucket::kOther, B::kOptional, HandleCreateKey},
      {"DELETE", "/api-keys/{id}", A::kApiKey, Bucket::kOther, B::kNone, HandleDeleteKey},
      {"POST", "/api-keys/{id}/rotate", A::kApiKey, Bucket::kOther, B::kOptional, HandleRotateKey},

      {"GET", "/admin/projects", A::kAdmin, Bucket::kOther, B::kNone, HandleAdminListProjects},
      {"GET", "/admin/projects/{id}", A::kAdmin, Bucket::kOther, B::kNone, HandleAdminGetProject},
      {"DELETE", "/admin/projects/{id}", A::kAdmin, Bucket::kOther, B::kNone,
       HandleAdminDeleteProject},
      {"POST", "/admin/projects/{id}/tier", A::kAdmin, Bucket::kOther, B::kRequired,
       HandleAdminTier},
      {"POST", "/admin/projects/{id}/grant", A::kAdmin, Bucket::kOther, B::kRequired,
       HandleAdminGrant},
      {"POST", "/admin/projects/{id}/rate-limit", A::kAdmin, Bucket::kOther, B::kRequired,
       HandleAdminRateLimit},
      {"POST", "/admin/projects/{id}/suspend", A::kAdmin, Bucket::kOther, B::kOptional,
       HandleAdminSuspend},
      {"POST", "/admin/projects/{id}/unsuspend", A::kAdmin, Bucket::kOther, B::kOptional,
       HandleAdminSuspend},
      {"POST", "/admin/projects/{id}/retention", A::kAdmin, Bucket::kOther, B::kRequired,
       HandleAdminRetention},
      {"GET", "/admin/storage", A::kAdmin, Bucket::kOther, B::kNone, HandleAdminStorage},
      {"GET", "/admin/projects/{id}/export", A::kAdmin, Bucket::kOther, B::kNone,
       HandleAdminExport},
      {"GET", "/admin/audit-log", A::kAdmin, Bucket::kOther, B::kNone, HandleAdminAuditLog},
      {"GET", "/admin/abuse", A::kAdmin, Bucket::kOther, B::kNone, HandleAdminListAbuse},
      {"POST", "/admin/abuse/{id}/resolve", A::kAdmin, Bucket::kOther, B::kOptional,
       HandleAdminResolveAbuse},

      {"GET", "/audit-log", A::kApiKey, Bucket::kOther, B::kNone, HandleAuditLog},
      {"GET", "/billing", A::kApiKey, Bucket::kOther, B::kNone, HandleGetBilling},
      {"GET", "/billing/usage", A::kApiKey, Bucket::kOther, B::kNone, HandleBillingUsage},
      {"POST", "/billing/checkout", A::kApiKey, Bucket::kOther, B::kOptional,
       HandleBillingCheckout},
      {"POST", "/billing/portal", A::kApiKey, Bucket::kOther, B::kOptional, HandleBillingPortal},

      // The dashboard: public files; the page sends the user's key only on its API calls.
      {"GET", "/ui", A::kPublic, Bucket::kOther, B::kNone, HandleUiRedirect},
      {"GET", "/ui/{path*}", A::kPublic, Bucket::kOther, B::kNone, HandleUi},
  };
  return kRoutes;
}

}  // namespace vigil
