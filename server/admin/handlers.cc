// Admin API (spec §13): behind VIGIL_ADMIN_TOKEN (checked in the pipeline, fail closed).
#include "server/handlers.h"

#include <simdjson.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>

#include "domain/time_util.h"
#include "server/app/app.h"
#include "server/audit/audit.h"
#include "server/codec/json_codec.h"
#include "server/limits.h"
#include "storage/abuse.h"
#include "storage/audit.h"
#include "storage/detection.h"
#include "storage/executions.h"
#include "storage/keys.h"
#include "storage/projects.h"
#include "storage/webhooks.h"

namespace vigil {
namespace {

constexpr size_t kMaxAdminBodyBytes = 1024;
constexpr int64_t kDayMs = 24LL * 3600 * 1000;

// `"expires_at": <timestamp | null>`
void WriteExpiry(JsonWriter& w, int64_t ms) {
  w.Key("expires_at");
  if (ms) {
    w.String(FormatRfc3339Ms(ms));
  } else {
    w.Null();
  }
}

void WriteTs(JsonWriter& w, const char* key, int64_t ms) {
  if (ms) w.Field(key, FormatRfc3339Ms(ms));
}

// A small JSON object body (admin bodies are at most 1 KiB).
Status ParseAdminBody(const RequestContext& ctx, simdjson::dom::parser& parser,
                      simdjson::dom::object* obj) {
  if (ctx.body.size() > kMaxAdminBodyBytes) {
    return Status::TooLarge("request body too large (limit 1024 bytes)");
  }
  if (ctx.body.find_first_not_of(" \t\r\n") == std::string::npos) {
    return Status::InvalidArgument("invalid JSON: empty body");
  }
  simdjson::dom::element doc;
  if (auto err = parser.parse(ctx.body.data(), ctx.body.size()).get(doc); err) {
    return Status::InvalidArgument(std::string("invalid JSON: ") + simdjson::error_message(err));
  }
  if (doc.get_object().get(*obj) != simdjson::SUCCESS) {
    return Status::InvalidArgument("invalid JSON: expected a JSON object");
  }
  return Status::Ok();
}

// Reads an optional integer field into `out` (left as is when absent or null).
Status IntField(simdjson::dom::object obj, const char* name, int64_t* out) {
  simdjson::dom::element v;
  if (obj.at_key(name).get(v) != simdjson::SUCCESS || v.is_null()) return Status::Ok();
  if ((v.type() != simdjson::dom::element_type::INT64 &&
       v.type() != simdjson::dom::element_type::UINT64) ||
      v.get_int64().get(*out) != simdjson::SUCCESS) {
    return Status::InvalidArgument("invalid JSON: field \"" + std::string(name) +
                                   "\" must be an integer");
  }
  return Status::Ok();
}

// `expires_days > 0` => now + days (capped at 100 years), else no expiry (0).
int64_t ExpiryFromDays(int64_t now_ms, int64_t days) {
  return days > 0 ? now_ms + std::min<int64_t>(days, 36500) * kDayMs : 0;
}

// Applies an admin change and its audit row (`action`, naming `project`) in one transaction.
Status WriteAudited(App& app, const RequestContext& ctx, const char* action, int64_t project,
                    const std::string& detail, const std::function<Status(WriteTxn&)>& change) {
  return app.store().Write([&](WriteTxn& txn) {
    Status u = change(txn);
    if (!u.ok()) return u;
    return storage::InsertAudit(txn, ActionEntry(ctx, action, 200, detail, project));
  });
}

}  // namespace

void WriteAdminProject(JsonWriter& w, const AdminProject& p) {
  w.BeginObject().Field("project_id", p.project_id).Field("name", p.name);
  if (!p.owner_email.empty()) w.Field("owner_email", p.owner_email);
  w.Field("created_at", FormatRfc3339Ms(p.created_at_ms)).Field("tier", p.tier);
  if (!p.stripe_customer_id.empty()) w.Field("stripe_customer_id", p.stripe_customer_id);
  if (!p.stripe_subscription_id.empty()) {
    w.Field("stripe_subscription_id", p.stripe_subscription_id);
  }
  WriteTs(w, "current_period_start", p.current_period_start_ms);
  WriteTs(w, "current_period_end", p.current_period_end_ms);
  w.Field("executions_this_period", p.executions_this_period)
      .Field("granted_executions", p.granted_executions);
  WriteTs(w, "granted_executions_expires_at", p.granted_executions_expires_at_ms);
  WriteTs(w, "tier_expires_at", p.tier_expires_at_ms);
  WriteTs(w, "suspended_at", p.suspended_at_ms);
  if (!p.suspension_reason.empty()) w.Field("suspension_reason", p.suspension_reason);
  if (p.rate_limit_burst) w.FieldDouble("rate_limit_burst", *p.rate_limit_burst);
  if (p.rate_limit_per_sec) w.FieldDouble("rate_limit_per_sec", *p.rate_limit_per_sec);
  if (p.retention_days) w.Field("retention_days", *p.retention_days);
  WriteTs(w, "last_activity_at", p.last_activity_at_ms);
  w.Field("total_executions", p.total_executions).EndObject();
}

std::optional<AdminProject> FindAdminProject(App& app, RequestContext& ctx) {
  std::optional<AdminProject> p;
  const std::string& id = ctx.params[0];
  Status s = id.size() > limits::kMaxIdBytes ? Status::Ok() : app.store().Read([&](ReadTxn& txn) {
    auto r = storage::GetAdminProject(txn, id);
    if (!r.ok()) return r.status();
    p = std::move(r.value());
    return Status::Ok();
  });
  if (!s.ok()) {
    SendError(ctx, s);
    return std::nullopt;
  }
  if (!p) SendError(ctx, Status::NotFound("project not found"));
  if (p) ctx.audit_project = p->id;
  return p;
}

void HandleAdminListProjects(App& app, RequestContext& ctx) {
  const int64_t limit = ctx.PageParam("limit", limits::kDefaultPageSize, 1, limits::kMaxPageSize);
  const int64_t offset = ctx.PageParam("offset", 0, 0, limits::kMaxOffset);
  std::vector<AdminProject> list;
  Status s = app.store().Read([&](ReadTxn& txn) {
    auto r = storage::ListAdminProjects(txn, limit, offset);
    if (!r.ok()) return r.status();
    list = std::move(r.value());
    return Status::Ok();
  });
  if (!s.ok()) return SendError(ctx, s);
  JsonWriter w;
  w.BeginObject().Key("projects").BeginArray();
  for (const AdminProject& p : list) WriteAdminProject(w, p);
  w.EndArray()
      .Field("count", static_cast<int64_t>(list.size()))
      .Field("limit", limit)
      .Field("offset", offset)
      .EndObject();
  SendJson(*ctx.res, 200, w.Take());
}

void HandleAdminGetProject(App& app, RequestContext& ctx) {
  auto p = FindAdminProject(app, ctx);
  if (!p) return;
  std::vector<Execution> recent;
  std::vector<FailureGroupRow> groups;
  std::vector<ApiKeyRow> keys;
  std::vector<WebhookRow> hooks;
  Status s = app.store().Read([&](ReadTxn& txn) {
    ExecutionFilter f;
    f.limit = 20;
    auto e = storage::ListExecutions(txn, p->id, f);
    if (!e.ok()) return e.status();
    recent = std::move(e.value());
    auto g = storage::ListFailureGroups(txn, p->id, 20, 0);
    if (!g.ok()) return g.status();
    groups = std::move(g.value());
    auto k = storage::ListKeys(txn, p->id);
    if (!k.ok()) return k.status();
    keys = std::move(k.value());
    auto h = storage::ListWebhooks(txn, p->id);
    if (!h.ok()) return h.status();
    hooks = std::move(h.value());
    return Status::Ok();
  });
  if (!s.ok()) return SendError(ctx, s);
  JsonWriter w;
  w.BeginObject().Key("project");
  WriteAdminProject(w, *p);
  w.Key("recent_executions").BeginArray();
  for (const Execution& e : recent) WriteExecution(w, e, p->project_id, true);
  w.EndArray().Key("recent_failure_groups").BeginArray();
  for (const FailureGroupRow& g : groups) WriteFailureGroup(w, g, p->project_id);
  w.EndArray().Key("webhooks").BeginArray();
  for (const WebhookRow& h : hooks) WriteWebhook(w, h, p->project_id);  // never the secret
  w.EndArray().Key("api_keys").BeginArray();
  for (const ApiKeyRow& k : keys) WriteApiKey(w, k, p->project_id);
  w.EndArray().EndObject();
  SendJson(*ctx.res, 200, w.Take());
}

void HandleAdminTier(App& app, RequestContext& ctx) {
  auto p = FindAdminProject(app, ctx);
  if (!p) return;
  simdjson::dom::parser parser;
  simdjson::dom::object obj;
  Status s = ParseAdminBody(ctx, parser, &obj);
  if (!s.ok()) return SendError(ctx, s);
  std::string_view tier_sv;
  simdjson::dom::element tv;
  if (obj.at_key("tier").get(tv) == simdjson::SUCCESS &&
      tv.get_string().get(tier_sv) != simdjson::SUCCESS) {
    tier_sv = {};  // not a string: refused below like any unknown tier
  }
  std::string tier(tier_sv);
  tier.erase(0, tier.find_first_not_of(" \t"));
  tier.erase(tier.find_last_not_of(" \t") + 1);
  std::transform(tier.begin(), tier.end(), tier.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (tier != "hobby" && tier != "pro" && tier != "enterprise") {
    return SendError(ctx, Status::InvalidArgument("tier must be hobby, pro, or enterprise"));
  }
  int64_t days = 0;
  s = IntField(obj, "expires_days", &days);
  if (!s.ok()) return SendError(ctx, s);
  const int64_t expires = ExpiryFromDays(ctx.now_ms, days);
  JsonWriter detail;
  detail.BeginObject().Field("tier", tier);
  WriteExpiry(detail, expires);
  detail.EndObject();
  s = WriteAudited(app, ctx, "admin.tier", p->id, detail.Take(),
                   [&](WriteTxn& txn) { return storage::SetTier(txn, p->id, tier, expires); });
  if (!s.ok()) return SendError(ctx, s);
  JsonWriter w;
  w.BeginObject().Field("ok", true).Field("project_id", p->project_id).Field("tier", tier);
  WriteExpiry(w, expires);
  w.EndObject();
  SendJson(*ctx.res, 200, w.Take());
}

void HandleAdminGrant(App& app, RequestContext& ctx) {
  auto p = FindAdminProject(app, ctx);
  if (!p) return;
  simdjson::dom::parser parser;
  simdjson::dom::object obj;
  Status s = ParseAdminBody(ctx, parser, &obj);
  if (!s.ok()) return SendError(ctx, s);
  int64_t delta = 0, days = 0;
  s = IntField(obj, "executions", &delta);
  if (s.ok()) s = IntField(obj, "expires_days", &days);
  if (!s.ok()) return SendError(ctx, s);
  if (delta == 0 && days == 0) {
    return SendError(ctx, Status::InvalidArgument(
                                   "executions must be non-zero, or expires_days must be set"));
  }
  if (delta > 10000000 || delta < -10000000) {
    return SendError(ctx, Status::InvalidArgument("executions delta exceeds 10M guardrail"));
  }
  const int64_t expires = ExpiryFromDays(ctx.now_ms, days);
  JsonWriter detail;
  detail.BeginObject().Field("delta", delta);
  WriteExpiry(detail, expires);
  detail.EndObject();
  s = WriteAudited(app, ctx, "admin.grant", p->id, detail.Take(),
                   [&](WriteTxn& txn) { return storage::AddGrant(txn, p->id, delta, expires); });
  if (!s.ok()) return SendError(ctx, s);
  JsonWriter w;
  w.BeginObject().Field("ok", true).Field("project_id", p->project_id).Field("delta", delta);
  WriteExpiry(w, expires);
  w.EndObject();
  SendJson(*ctx.res, 200, w.Take());
}

void HandleAdminRateLimit(App& app, RequestContext& ctx) {
  auto p = FindAdminProject(app, ctx);
  if (!p) return;
  simdjson::dom::parser parser;
  simdjson::dom::object obj;
  Status s = ParseAdminBody(ctx, parser, &obj);
  if (!s.ok()) return SendError(ctx, s);
  std::optional<double> burst, per_sec;
  simdjson::dom::element b, r;
  const bool has_b = obj.at_key("burst").get(b) == simdjson::SUCCESS && !b.is_null();
  const bool has_r = obj.at_key("per_second").get(r) == simdjson::SUCCESS && !r.is_null();
  if (has_b != has_r) {
    return SendError(
        ctx, Status::InvalidArgument("burst and per_second must both be set, or both null"));
  }
  if (has_b) {
    int64_t bi;
    double rd;
    if ((b.type() != simdjson::dom::element_type::INT64 &&
         b.type() != simdjson::dom::element_type::UINT64) ||
        b.get_int64().get(bi) != simdjson::SUCCESS || bi < 1 || bi > 1000000000) {
      return SendError(ctx, Status::InvalidArgument("burst must be an integer >= 1"));
    }
    if (r.get_double().get(rd) != simdjson::SUCCESS || !(rd > 0) || !std::isfinite(rd)) {
      return SendError(ctx, Status::InvalidArgument("per_second must be a number > 0"));
    }
    burst = static_cast<double>(bi);
    per_sec = rd;
  }
  JsonWriter detail;
  detail.BeginObject().Key("burst");
  burst ? detail.Int(static_cast<int64_t>(*burst)) : detail.Null();
  detail.Key("per_second");
  per_sec ? detail.Double(*per_sec) : detail.Null();
  detail.EndObject();
  s = WriteAudited(app, ctx, "admin.rate_limit", p->id, detail.Take(), [&](WriteTxn& txn) {
    return storage::SetRateLimit(txn, p->id, burst, per_sec);
  });
  if (!s.ok()) return SendError(ctx, s);
  // Effective at once: the cached auth record carries the override, and buckets start afresh.
  app.auth().cache().EvictProject(p->id);
  app.limiter().Forget(p->id);
  JsonWriter w;
  w.BeginObject().Field("ok", true).Field("project_id", p->project_id);
  w.Key("burst");
  burst ? w.Int(static_cast<int64_t>(*burst)) : w.Null();
  w.Key("per_second");
  per_sec ? w.Double(*per_sec) : w.Null();
  w.EndObject();
  SendJson(*ctx.res, 200, w.Take());
}

void HandleAdminRetention(App& app, RequestContext& ctx) {
  auto p = FindAdminProject(app, ctx);
  if (!p) return;
  simdjson::dom::parser parser;
  simdjson::dom::object obj;
  Status s = ParseAdminBody(ctx, parser, &obj);
  if (!s.ok()) return SendError(ctx, s);
  simdjson::dom::element v;
  if (obj.at_key("days").get(v) != simdjson::SUCCESS) {
    return SendError(ctx,
                     Status::InvalidArgument("days is required (an integer >= 0, or null)"));
  }
  std::optional<int64_t> days;
  if (!v.is_null()) {
    int64_t d;
    if ((v.type() != simdjson::dom::element_type::INT64 &&
         v.type() != simdjson::dom::element_type::UINT64) ||
        v.get_int64().get(d) != simdjson::SUCCESS || d < 0 || d > 36500) {
      return SendError(ctx, Status::InvalidArgument("days must be an integer >= 0, or null"));
    }
    days = d;
  }
  JsonWriter detail;
  detail.BeginObject().Key("days");
  days ? detail.Int(*days) : detail.Null();
  detail.EndObject();
  s = WriteAudited(app, ctx, "admin.retention", p->id, detail.Take(),
                   [&](WriteTxn& txn) { return storage::SetRetention(txn, p->id, days); });
  if (!s.ok()) return SendError(ctx, s);
  JsonWriter w;
  w.BeginObject().Field("ok", true).Field("project_id", p->project_id).Key("retention_days");
  days ? w.Int(*days) : w.Null();
  w.EndObject();
  SendJson(*ctx.res, 200, w.Take());
}

void HandleAdminSuspend(App& app, RequestContext& ctx) {
  auto p = FindAdminProject(app, ctx);
  if (!p) return;
  auto reason = ParseOptionalStringField(ctx.body, "reason");
  if (!reason.ok()) return SendError(ctx, reason.status());
  if (reason->size() > limits::kMaxReasonBytes) {
    return SendError(ctx, Status::InvalidArgument("reason longer than 1024 bytes"));
  }
  const bool suspend = ctx.req->path.size() >= 8 &&
                       ctx.req->path.compare(ctx.req->path.size() - 8, 8, "/suspend") == 0;
  JsonWriter detail;
  detail.BeginObject();
  if (suspend && !reason->empty()) detail.Field("reason", reason.value());
  detail.EndObject();
  Status s =
      WriteAudited(app, ctx, suspend ? "admin.suspend" : "admin.unsuspend", p->id, detail.Take(),
                   [&](WriteTxn& txn) {
                     return storage::SetSuspended(txn, p->id, suspend, reason.value(), ctx.now_ms);
                   });
  if (!s.ok()) return SendError(ctx, s);
  app.auth().cache().EvictProject(p->id);  // the next request sees the new state
  JsonWriter w;
  w.BeginObject()
      .Field("ok", true)
      .Field("project_id", p->project_id)
      .Field("suspended", suspend)
      .EndObject();
  SendJson(*ctx.res, 200, w.Take());
}

void HandleAdminDeleteProject(App& app, RequestContext& ctx) {
  auto p = FindAdminProject(app, ctx);
  if (!p) return;
  if (ctx.Query("confirm") != p->name) {
    return SendError(ctx, Status::InvalidArgument(
                                   "confirmation mismatch, pass ?confirm=<exact project name>"));
  }
  if (!p->stripe_subscription_id.empty()) {
    return SendError(
        ctx,
        Status::Conflict("project has an active Stripe subscription (" + p->stripe_subscription_id +
                         "). Cancel it via the Stripe Dashboard before deleting."));
  }
  JsonWriter detail;
  detail.BeginObject().Field("project_id", p->project_id).Field("name", p->name).EndObject();
  Status s = app.store().Write([&](WriteTxn& txn) {
    Status d = storage::DeleteProject(txn, p->id);
    if (!d.ok()) return d;
    // The one row that outlives the project: who deleted it, and when.
    AuditEntry e = ActionEntry(ctx, "admin.project_delete", 200, detail.Take(), p->id);
    e.project = 0;
    return storage::InsertAudit(txn, e);
  });
  if (!s.ok()) return SendError(ctx, s);
  ctx.audit_project = 0;  // the admin.request row must not name the deleted project
  app.auth().cache().EvictProject(p->id);
  app.limiter().Forget(p->id);
  app.halts().CloseProject(p->id);
  JsonWriter w;
  w.BeginObject().Field("ok", true).Field("project_id", p->project_id).EndObject();
  SendJson(*ctx.res, 200, w.Take());
}

void HandleAdminStorage(App& app, RequestContext& ctx) {
  std::vector<ProjectUsage> usages;
  Status s = app.store().Read([&](ReadTxn& txn) {
    auto r = storage::ProjectUsages(txn);
    if (!r.ok()) return r.status();
    usages = std::move(r.value());
    for (ProjectUsage& u : usages) {
      auto d = storage::CountWebhookDeliveries(txn, u.id);
      if (!d.ok()) return d.status();
      u.webhook_deliveries = d.value();
    }
    return Status::Ok();
  });
  if (!s.ok()) return SendError(ctx, s);
  std::sort(usages.begin(), usages.end(), [](const ProjectUsage& a, const ProjectUsage& b) {
    return a.estimated_bytes > b.estimated_bytes;
  });
  std::error_code ec;
  const std::string& db = app.store().path();
  const auto db_bytes = std::filesystem::file_size(db, ec);
  const int64_t db_size = ec ? 0 : static_cast<int64_t>(db_bytes);
  const auto wal_bytes = std::filesystem::file_size(db + "-wal", ec);
  const int64_t wal_size = ec ? 0 : static_cast<int64_t>(wal_bytes);
  struct statvfs vfs {};
  const std::string dir = std::filesystem::path(db).parent_path().string();
  const bool have_vfs = statvfs(dir.empty() ? "." : dir.c_str(), &vfs) == 0;
  JsonWriter w;
  w.BeginObject()
      .Field("database_file_bytes", db_size)
      .Field("wal_file_bytes", wal_size)
      .Field("volume_total_bytes",
             have_vfs ? static_cast<int64_t>(vfs.f_blocks) * static_cast<int64_t>(vfs.f_frsize) : 0)
      .Field(
          "volume_free_bytes",
          have_vfs ? static_cast<int64_t>(vfs.f_bavail) * static_cast<int64_t>(vfs.f_frsize) : 0);
  w.Key("projects").BeginArray();
  for (const ProjectUsage& u : usages) {
    w.BeginObject().Field("project_id", u.project_id).Field("name", u.name);
    if (!u.owner_email.empty()) w.Field("owner_email", u.owner_email);
    w.Field("tier", u.tier)
        .Field("executions", u.executions)
        .Field("events", u.events)
        .Field("failure_groups", u.failure_groups)
        .Field("webhook_deliveries", u.webhook_deliveries)
        .Field("estimated_bytes", u.estimated_bytes)
        .EndObject();
  }
  w.EndArray().EndObject();
  SendJson(*ctx.res, 200, w.Take());
}

}  // namespace vigil

namespace vigil {

void HandleAdminListAbuse(App& app, RequestContext& ctx) {
  const bool include_resolved = ctx.Query("include_resolved") == "true";
  const int64_t limit = ctx.PageParam("limit", 100, 1, 500);
  std::vector<AbuseSignal> signals;
  Status s = app.store().Read([&](ReadTxn& txn) {
    auto r = storage::ListAbuseSignals(txn, include_resolved, limit);
    if (!r.ok()) return r.status();
    signals = std::move(r.value());
    return Status::Ok();
  });
  if (!s.ok()) return SendError(ctx, s);
  JsonWriter w;
  w.BeginObject().Field("ok", true).Key("signals").BeginArray();
  for (const AbuseSignal& a : signals) {
    w.BeginObject()
        .Field("signal_id", a.signal_id)
        .Field("project_id", a.project_id)
        .Field("kind", a.kind)
        .Field("severity", a.severity);
    if (!a.detail_json.empty()) w.Key("detail").Raw(a.detail_json);
    w.Field("detected_at", FormatRfc3339Ms(a.detected_at_ms));
    WriteTs(w, "notified_at", a.notified_at_ms);
    WriteTs(w, "suspended_at", a.suspended_at_ms);
    WriteTs(w, "resolved_at", a.resolved_at_ms);
    if (!a.resolved_by.empty()) w.Field("resolved_by", a.resolved_by);
    if (!a.resolution_note.empty()) w.Field("resolution_note", a.resolution_note);
    w.EndObject();
  }
  w.EndArray().EndObject();
  SendJson(*ctx.res, 200, w.Take());
}

void HandleAdminResolveAbuse(App& app, RequestContext& ctx) {
  const std::string& signal_id = ctx.params[0];
  std::string note;
  bool reactivate = false;
  if (!ctx.body.empty()) {
    simdjson::dom::parser parser;
    simdjson::dom::object obj;
    Status s = ParseAdminBody(ctx, parser, &obj);
    if (!s.ok()) return SendError(ctx, s);
    simdjson::dom::element v;
    if (obj.at_key("note").get(v) == simdjson::SUCCESS && !v.is_null()) {
      std::string_view sv;
      if (v.get_string().get(sv) != simdjson::SUCCESS) {
        return SendError(ctx, Status::InvalidArgument("note must be a string"));
      }
      note = std::string(sv);
    }
    if (obj.at_key("reactivate").get(v) == simdjson::SUCCESS && !v.is_null()) {
      if (v.get_bool().get(reactivate) != simdjson::SUCCESS) {
        return SendError(ctx, Status::InvalidArgument("reactivate must be a boolean"));
      }
    }
  }
  std::optional<AbuseSignal> signal;
  bool reactivated = false;
  Status s =
      signal_id.size() > limits::kMaxIdBytes ? Status::Ok() : app.store().Write([&](WriteTxn& txn) {
        auto r =
            storage::ResolveAbuseSignal(txn, signal_id, note, reactivate, ctx.now_ms, &reactivated);
        if (!r.ok()) return r.status();
        signal = std::move(r.value());
        if (!signal) return Status::Ok();
        JsonWriter detail;
        detail.BeginObject()
            .Field("signal_id", signal_id)
            .Field("reactivated", reactivated)
            .EndObject();
        return storage::InsertAudit(
            txn, ActionEntry(ctx, "admin.abuse_resolve", 200, detail.Take(), signal->project));
      });
  if (!s.ok()) return SendError(ctx, s);
  if (!signal) return SendError(ctx, Status::NotFound("abuse signal not found"));
  ctx.audit_project = signal->project;
  if (reactivated) app.auth().cache().EvictProject(signal->project);
  JsonWriter w;
  w.BeginObject()
      .Field("ok", true)
      .Field("signal_id", signal_id)
      .Field("reactivated", reactivated)
      .EndObject();
  SendJson(*ctx.res, 200, w.Take());
}

}  // namespace vigil
