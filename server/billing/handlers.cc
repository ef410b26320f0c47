// Billing (docs/api.md#billing): the project's tier and usage, Stripe checkout/portal sessions, and
// the Stripe webhook receiver. Also the security.txt disclosure file (docs/api.md#securitytxt).
#include "server/billing/handlers.h"

#include <simdjson.h>

#include <fstream>
#include <sstream>

#include "domain/percent.h"
#include "domain/time_util.h"
#include "server/audit/audit.h"
#include "server/billing/billing.h"
#include "server/codec/resources.h"
#include "server/http/log.h"
#include "server/limits.h"
#include "storage/audit.h"
#include "storage/billing.h"
#include "storage/projects.h"
#include "storage/stats.h"
#include "storage/store.h"

namespace vigil {
namespace {

// GET /billing/usage covers this much history (docs/api.md#tiers-and-usage).
constexpr int64_t kUsageWindowMs = 30LL * 86400000;

Result<AdminProject> LoadOwnProject(Store& store, const RequestContext& ctx) {
  auto p = store.ReadValue(
      [&](ReadTxn& txn) { return storage::GetAdminProjectById(txn, ctx.auth.project); });
  if (!p.ok()) return p.status();
  if (!p.value()) return Status::NotFound("project not found");
  return std::move(*p.value());
}

std::string FormEncode(const std::string& s) {
  // RFC 3986 unreserved characters stay; everything else is escaped.
  return PercentEncode(s, [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~';
  });
}

// POSTs a form to the Stripe API; returns the parsed JSON object's string fields asked for.
// Any transport failure or non-2xx is "Stripe request failed": Stripe's own text is not echoed.
Result<std::vector<std::string>> StripePost(
    const BillingSettings& c, const std::string& path,
    const std::vector<std::pair<std::string, std::string>>& form,
    const std::vector<const char*>& fields) {
  std::string body;
  for (const auto& [k, v] : form) {
    if (!body.empty()) body += '&';
    body += FormEncode(k) + "=" + FormEncode(v);
  }
  httplib::Client client(c.stripe_api_base);
  client.set_connection_timeout(limits::kStripeTimeoutSec, 0);
  client.set_read_timeout(limits::kStripeTimeoutSec, 0);
  client.set_write_timeout(limits::kStripeTimeoutSec, 0);
  const httplib::Headers headers = {{"Authorization", "Bearer " + c.stripe_secret_key}};
  auto res = client.Post(path, headers, body, "application/x-www-form-urlencoded");
  const Status failed = Status::BadGateway("Stripe request failed");
  if (!res || res->status < 200 || res->status > 299) {
    log::Warn("stripe request failed",
              {log::Str("path", path), log::Num("status", res ? res->status : 0)});
    return failed;
  }
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(res->body).get(root) != simdjson::SUCCESS) return failed;
  std::vector<std::string> out;
  for (const char* f : fields) {
    std::string_view v;
    if (root.at_key(f).get_string().get(v) != simdjson::SUCCESS) return failed;
    out.emplace_back(v);
  }
  return out;
}

}  // namespace

void BillingHandlers::Get(RequestContext& ctx) {
  auto p = LoadOwnProject(store_, ctx);
  if (!p.ok()) return SendError(ctx, p.status());
  const BillingView v = ComputeBillingView(p.value(), ctx.now_ms, settings_.Configured());
  JsonWriter w;
  w.BeginObject()
      .Field("ok", true)
      .Field("project_id", p->project_id)
      .Field("tier", TierName(v.tier))
      .Field("executions_this_period", v.executions_this_period)
      .Field("included_executions", v.included_executions)
      .Field("granted_executions", v.granted_executions);
  WriteOptionalTs(w, "granted_executions_expires_at", v.granted_executions_expires_at_ms);
  WriteOptionalTs(w, "tier_expires_at", v.tier_expires_at_ms);
  w.FieldDouble("overage_price_per_execution_usd", 0.001);
  WriteOptionalTs(w, "current_period_start", p->current_period_start_ms);
  WriteOptionalTs(w, "current_period_end", p->current_period_end_ms);
  if (!p->stripe_customer_id.empty()) w.Field("stripe_customer_id", p->stripe_customer_id);
  if (!p->stripe_subscription_id.empty()) {
    w.Field("stripe_subscription_id", p->stripe_subscription_id);
  }
  w.Field("can_upgrade", v.can_upgrade).Field("can_manage", v.can_manage);
  w.Field("billing_configured", settings_.Configured()).EndObject();
  SendJson(*ctx.res, 200, w.Take());
}

void BillingHandlers::Usage(RequestContext& ctx) {
  const int64_t until = ctx.now_ms, since = ctx.now_ms - kUsageWindowMs;
  auto days_result = store_.ReadValue(
      [&](ReadTxn& txn) { return storage::ExecutionsPerDay(txn, ctx.auth.project, since, until); });
  if (!days_result.ok()) return SendError(ctx, days_result.status());
  std::vector<std::pair<int64_t, int64_t>>& days = days_result.value();
  JsonWriter w;
  w.BeginObject().Field("ok", true).Key("days").BeginArray();
  for (const auto& [day, count] : days) {
    w.BeginObject().Field("date", FormatRfc3339Ms(day)).Field("count", count).EndObject();
  }
  w.EndArray()
      .Field("since", FormatRfc3339Ms(since))
      .Field("until", FormatRfc3339Ms(until))
      .EndObject();
  SendJson(*ctx.res, 200, w.Take());
}

void BillingHandlers::Checkout(RequestContext& ctx) {
  const BillingSettings& c = settings_;
  if (!c.Configured()) {
    return SendError(ctx, Status::NotConfigured("billing is not configured"));
  }
  auto p = LoadOwnProject(store_, ctx);
  if (!p.ok()) return SendError(ctx, p.status());
  if (p->tier != Tier::kHobby) {
    return SendError(ctx, Status::InvalidArgument(
                              "project is already on a paid tier; use /billing/portal to manage"));
  }
  std::vector<std::pair<std::string, std::string>> form = {
      {"mode", "subscription"},
      {"line_items[0][price]", c.stripe_pro_price_id},
      {"line_items[0][quantity]", "1"},
      {"success_url", c.dashboard_url + "/billing?status=success&session_id={CHECKOUT_SESSION_ID}"},
      {"cancel_url", c.dashboard_url + "/billing?status=canceled"},
      {"client_reference_id", p->project_id},
      {"metadata[vigil_project_id]", p->project_id}};
  if (!p->owner_email.empty()) form.emplace_back("customer_email", p->owner_email);
  auto r = StripePost(c, "/v1/checkout/sessions", form, {"url", "id"});
  if (!r.ok()) return SendError(ctx, r.status());
  JsonWriter w;
  w.BeginObject()
      .Field("ok", true)
      .Field("url", r.value()[0])
      .Field("session_id", r.value()[1])
      .EndObject();
  SendJson(*ctx.res, 200, w.Take());
}

void BillingHandlers::Portal(RequestContext& ctx) {
  const BillingSettings& c = settings_;
  if (!c.Configured()) {
    return SendError(ctx, Status::NotConfigured("billing is not configured"));
  }
  auto p = LoadOwnProject(store_, ctx);
  if (!p.ok()) return SendError(ctx, p.status());
  if (p->stripe_customer_id.empty()) {
    return SendError(
        ctx, Status::InvalidArgument(
                 "project has no Stripe customer yet; upgrade first via /billing/checkout"));
  }
  auto r = StripePost(
      c, "/v1/billing_portal/sessions",
      {{"customer", p->stripe_customer_id}, {"return_url", c.dashboard_url + "/billing"}}, {"url"});
  if (!r.ok()) return SendError(ctx, r.status());
  JsonWriter w;
  w.BeginObject().Field("ok", true).Field("url", r.value()[0]).EndObject();
  SendJson(*ctx.res, 200, w.Take());
}

void BillingHandlers::StripeWebhook(RequestContext& ctx) {
  const std::string& secret = settings_.stripe_webhook_secret;
  if (secret.empty()) {
    return SendError(ctx, Status::NotConfigured("stripe webhook not configured"));
  }
  if (!ctx.req->has_header("Stripe-Signature")) {
    return SendError(ctx, Status::InvalidArgument("missing Stripe-Signature header"));
  }
  Status s = VerifyStripeSignature(ctx.req->get_header_value("Stripe-Signature"), ctx.body, secret,
                                   ctx.now_ms / 1000);
  if (!s.ok()) return SendError(ctx, s);
  auto action = DecodeStripeEvent(ctx.body);
  if (!action.ok()) return SendError(ctx, action.status());
  const StripeAction& a = action.value();
  bool duplicate = false, unknown_project = false;
  // The event's effects and its stripe_events row commit together: each event acts exactly once,
  // and a failed apply records nothing (Stripe retries it).
  s = store_.Write([&](WriteTxn& txn) {
    std::optional<int64_t> project;
    if (a.applies) {
      auto r = a.project_id.empty() ? storage::FindProjectByCustomer(txn, a.customer_id)
                                    : storage::FindProjectId(txn, a.project_id);
      if (!r.ok()) return r.status();
      project = r.value();
    }
    auto rec = storage::RecordStripeEvent(txn, project.value_or(0), a.event_id, a.type, ctx.now_ms);
    if (!rec.ok()) return rec.status();
    if (!rec.value()) {
      duplicate = true;
      return Status::Ok();
    }
    if (a.applies && !project) unknown_project = true;
    if (project) {
      Status u = storage::ApplyBilling(txn, *project, a.update);
      if (!u.ok()) return u;
    }
    JsonWriter detail;
    detail.BeginObject().Field("event_id", a.event_id).Field("type", a.type).EndObject();
    AuditEntry e;
    e.time_ms = ctx.now_ms;
    e.project = project.value_or(0);
    e.actor = Actor::kStripe;
    e.action = "stripe.event";
    e.method = ctx.req->method;
    e.path = AuditPath(ctx.req->target);
    e.status = 200;
    e.client_ip = AuditText(ctx.client_ip, limits::kMaxAuditIpBytes);
    e.detail_json = detail.Take();
    return storage::InsertAudit(txn, e);
  });
  if (!s.ok()) return SendError(ctx, s);
  if (unknown_project) {
    log::Warn("stripe event for an unknown project",
              {log::Str("event_id", a.event_id), log::Str("type", a.type)});
  }
  if (duplicate) log::Info("stripe event replayed", {log::Str("event_id", a.event_id)});
  ctx.res->status = 200;
  ctx.res->set_content("", "text/plain");
}

}  // namespace vigil
