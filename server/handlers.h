// Request handlers: parse -> validate -> one call into storage/detection -> write JSON.
// Each is registered in the one route table (server/routes.cc).
#pragma once

#include "domain/detection_rows.h"
#include "domain/webhook.h"
#include "server/http/request.h"

namespace vigil {

// ops
void HandleHealth(App& app, RequestContext& ctx);
void HandleMetrics(App& app, RequestContext& ctx);
// accounts (spec §3.4)
void HandleSignup(App& app, RequestContext& ctx);
// ingestion (spec §5)
void HandleCreateExecution(App& app, RequestContext& ctx);
void HandlePatchExecution(App& app, RequestContext& ctx);
void HandleIngestEvents(App& app, RequestContext& ctx);
// reads (spec §6)
void HandleGetProject(App& app, RequestContext& ctx);
void HandleListExecutions(App& app, RequestContext& ctx);
void HandleGetExecution(App& app, RequestContext& ctx);
void HandleListExecutionEvents(App& app, RequestContext& ctx);
void HandleStats(App& app, RequestContext& ctx);
void HandleStatsTimeSeries(App& app, RequestContext& ctx);
// api keys (spec §6)
void HandleListKeys(App& app, RequestContext& ctx);
void HandleCreateKey(App& app, RequestContext& ctx);
void HandleDeleteKey(App& app, RequestContext& ctx);
void HandleRotateKey(App& app, RequestContext& ctx);
// admin (spec §13)
void HandleAdminListProjects(App& app, RequestContext& ctx);
void HandleAdminGetProject(App& app, RequestContext& ctx);
void HandleAdminTier(App& app, RequestContext& ctx);
void HandleAdminGrant(App& app, RequestContext& ctx);
void HandleAdminRateLimit(App& app, RequestContext& ctx);
void HandleAdminSuspend(App& app, RequestContext& ctx);
void HandleAdminRetention(App& app, RequestContext& ctx);
void HandleAdminDeleteProject(App& app, RequestContext& ctx);
void HandleAdminStorage(App& app, RequestContext& ctx);

// Shared response objects.
void WriteApiKey(JsonWriter& w, const ApiKeyRow& key, const std::string& project_id);
void WriteFailureGroup(JsonWriter& w, const FailureGroupRow& group, const std::string& project_id);
// A finding; `execution_id` ("" = leave out) names its execution where the context does not.
void WriteFinding(JsonWriter& w, const StoredFinding& f, const std::string& execution_id);

// halt (spec §9)
void HandleHalt(App& app, RequestContext& ctx);
void HandleHaltStream(App& app, RequestContext& ctx);
// webhooks (spec §10)
void HandleCreateWebhook(App& app, RequestContext& ctx);
void HandleListWebhooks(App& app, RequestContext& ctx);
void HandleDeleteWebhook(App& app, RequestContext& ctx);
void HandleTestWebhook(App& app, RequestContext& ctx);
void HandleListWebhookDeliveries(App& app, RequestContext& ctx);
// One webhook as GET /webhooks lists it (never the secret).
void WriteWebhook(JsonWriter& w, const WebhookRow& hook, const std::string& project_id);
void WriteWebhookDelivery(JsonWriter& w, const WebhookAttemptRow& a, const std::string& webhook_id,
                          const std::string& project_id);
// audit log (spec §11)
void HandleAuditLog(App& app, RequestContext& ctx);
void HandleAdminAuditLog(App& app, RequestContext& ctx);
// admin export (spec §13.1), abuse (§13.2)
void HandleAdminExport(App& app, RequestContext& ctx);
void HandleAdminListAbuse(App& app, RequestContext& ctx);
void HandleAdminResolveAbuse(App& app, RequestContext& ctx);
// billing (spec §12)
void HandleGetBilling(App& app, RequestContext& ctx);
void HandleBillingUsage(App& app, RequestContext& ctx);
void HandleBillingCheckout(App& app, RequestContext& ctx);
void HandleBillingPortal(App& app, RequestContext& ctx);
void HandleStripeWebhook(App& app, RequestContext& ctx);
// ops (spec §14.3)
void HandleSecurityTxt(App& app, RequestContext& ctx);
// The admin view of a project named by the path ({id}), or nullopt with a 404 already sent. Sets
// ctx.audit_project so the admin request shows in that project's audit log.
std::optional<AdminProject> FindAdminProject(App& app, RequestContext& ctx);
void WriteAdminProject(JsonWriter& w, const AdminProject& p);
// detection (spec §6, §8)
void HandleListFailureGroups(App& app, RequestContext& ctx);
void HandleGetFailureGroup(App& app, RequestContext& ctx);
void HandleListGroupExecutions(App& app, RequestContext& ctx);
void HandleGetPolicy(App& app, RequestContext& ctx);
void HandlePutPolicy(App& app, RequestContext& ctx);
void HandleGetPlaybook(App& app, RequestContext& ctx);
// dashboard (spec §0, §10.2): embedded files, deep links answered with the app's page
void HandleUiRedirect(App& app, RequestContext& ctx);
void HandleUi(App& app, RequestContext& ctx);

}  // namespace vigil
