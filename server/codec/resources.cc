#include "server/codec/resources.h"

#include "domain/time_util.h"

namespace vigil {

void WriteApiKey(JsonWriter& w, const ApiKeyRow& k, const std::string& project_id) {
  w.BeginObject()
      .Field("key_id", k.key_id)
      .Field("project_id", project_id)
      .Field("key_prefix", k.key_prefix);
  if (!k.name.empty()) w.Field("name", k.name);
  w.Field("created_at", FormatRfc3339Ms(k.created_at_ms));
  if (k.last_used_at_ms) w.Field("last_used_at", FormatRfc3339Ms(k.last_used_at_ms));
  w.EndObject();
}

void WriteFailureGroup(JsonWriter& w, const FailureGroupRow& g, const std::string& project_id) {
  w.BeginObject()
      .Field("group_id", g.group_id)
      .Field("project_id", project_id)
      .Field("failure_class", g.failure_class)
      .Field("signature", g.signature)
      .Field("state", GroupStateName(g.state))
      .Field("first_seen", FormatRfc3339Ms(g.first_seen_ms))
      .Field("last_seen", FormatRfc3339Ms(g.last_seen_ms));
  WriteOptionalTs(w, "state_changed_at", g.state_changed_at_ms);
  if (!g.state_changed_by.empty()) w.Field("state_changed_by", g.state_changed_by);
  w.Field("event_count", g.affected_executions).Field("affected_executions", g.affected_executions);
  w.FieldDouble("cost_wasted_usd", g.cost_wasted_usd);
  if (!g.sample_execution_id.empty()) w.Field("sample_execution_id", g.sample_execution_id);
  w.EndObject();
}

void WriteFinding(JsonWriter& w, const StoredFinding& f, const std::string& execution_id) {
  w.BeginObject();
  if (!execution_id.empty()) w.Field("execution_id", execution_id);
  w.Field("detector", f.detector)
      .Field("failure_class", f.failure_class)
      .Field("signature", f.signature)
      .Field("group_id", f.group_id)
      .Field("detected_at", FormatRfc3339Ms(f.detected_at_ms))
      .Field("source", f.source)
      .Field("detail", f.detail)
      .EndObject();
}

void WriteClasses(JsonWriter& w, const std::vector<std::string>& classes) {
  w.Key("enabled_classes").BeginArray();
  for (const auto& c : classes) w.String(c);
  w.EndArray();
}

void WriteWebhook(JsonWriter& w, const WebhookRow& h, const std::string& project_id) {
  w.BeginObject().Field("webhook_id", h.webhook_id).Field("project_id", project_id);
  if (!h.name.empty()) w.Field("name", h.name);
  w.Field("url", h.url);
  WriteClasses(w, h.enabled_classes);
  w.Field("enabled", h.enabled).Field("created_at", FormatRfc3339Ms(h.created_at_ms)).EndObject();
}

void WriteWebhookDelivery(JsonWriter& w, const WebhookAttemptRow& a, const std::string& webhook_id,
                          const std::string& project_id) {
  w.BeginObject()
      .Field("delivery_id", a.delivery_id)
      .Field("webhook_id", webhook_id)
      .Field("project_id", project_id);
  if (!a.failure_class.empty()) w.Field("failure_class", a.failure_class);
  if (!a.signature.empty()) w.Field("signature", a.signature);
  if (!a.group_id.empty()) w.Field("group_id", a.group_id);
  w.Field("attempt", a.attempt).Field("status", DeliveryStatusName(a.status));
  if (a.http_status) w.Field("http_status", *a.http_status);
  if (!a.error.empty()) w.Field("error", a.error);
  if (!a.response_body.empty()) w.Field("response_body", a.response_body);
  w.Field("duration_ms", a.duration_ms).Field("created_at", FormatRfc3339Ms(a.created_at_ms));
  if (a.next_attempt_at_ms) w.Field("next_attempt_at", FormatRfc3339Ms(*a.next_attempt_at_ms));
  w.EndObject();
}

void WriteExpiry(JsonWriter& w, int64_t ms) {
  w.Key("expires_at");
  if (ms) {
    w.String(FormatRfc3339Ms(ms));
  } else {
    w.Null();
  }
}

void WriteOptionalTs(JsonWriter& w, const char* key, int64_t ms) {
  if (ms) w.Field(key, FormatRfc3339Ms(ms));
}

void WriteAdminProject(JsonWriter& w, const AdminProject& p) {
  w.BeginObject().Field("project_id", p.project_id).Field("name", p.name);
  if (!p.owner_email.empty()) w.Field("owner_email", p.owner_email);
  w.Field("created_at", FormatRfc3339Ms(p.created_at_ms)).Field("tier", TierName(p.tier));
  if (!p.stripe_customer_id.empty()) w.Field("stripe_customer_id", p.stripe_customer_id);
  if (!p.stripe_subscription_id.empty()) {
    w.Field("stripe_subscription_id", p.stripe_subscription_id);
  }
  WriteOptionalTs(w, "current_period_start", p.current_period_start_ms);
  WriteOptionalTs(w, "current_period_end", p.current_period_end_ms);
  w.Field("executions_this_period", p.executions_this_period)
      .Field("granted_executions", p.granted_executions);
  WriteOptionalTs(w, "granted_executions_expires_at", p.granted_executions_expires_at_ms);
  WriteOptionalTs(w, "tier_expires_at", p.tier_expires_at_ms);
  WriteOptionalTs(w, "suspended_at", p.suspended_at_ms);
  if (!p.suspension_reason.empty()) w.Field("suspension_reason", p.suspension_reason);
  if (p.rate_limit_burst) w.FieldDouble("rate_limit_burst", *p.rate_limit_burst);
  if (p.rate_limit_per_sec) w.FieldDouble("rate_limit_per_sec", *p.rate_limit_per_sec);
  if (p.retention_days) w.Field("retention_days", *p.retention_days);
  WriteOptionalTs(w, "last_activity_at", p.last_activity_at_ms);
  w.Field("total_executions", p.total_executions).EndObject();
}

}  // namespace vigil
