// Admin API (docs/api.md#admin): behind VIGIL_ADMIN_TOKEN (checked in the pipeline, fail closed).
#include "server/admin/handlers.h"

#include <simdjson.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "domain/time_util.h"
#include "server/accounts/auth.h"
#include "server/accounts/rate_limiter.h"
#include "server/admin/project_change.h"
#include "server/audit/audit.h"
#include "server/codec/json_codec.h"
#include "server/codec/resources.h"
#include "server/halt/halt.h"
#include "server/limits.h"
#include "storage/abuse.h"
#include "storage/audit.h"
#include "storage/detection.h"
#include "storage/executions.h"
#include "storage/keys.h"
#include "storage/projects.h"
#include "storage/store.h"
#include "storage/webhooks.h"

namespace vigil {
namespace {

constexpr int64_t kDayMs = 24LL * 3600 * 1000;

// A small JSON object body; `parser` owns what `obj` points into.
struct AdminBody {
  simdjson::dom::parser parser;
  simdjson::dom::object obj;
};

Status ParseAdminBody(const RequestContext& ctx, AdminBody* body) {
  if (ctx.body.size() > limits::kMaxAdminBodyBytes) {
    return Status::TooLarge("request body too large (limit " +
                            std::to_string(limits::kMaxAdminBodyBytes) + " bytes)");
  }
  if (ctx.body.find_first_not_of(" \t\r\n") == std::string::npos) {
    return Status::InvalidArgument("invalid JSON: empty body");
  }
  simdjson::dom::element doc;
  if (auto err = body->parser.parse(ctx.body.data(), ctx.body.size()).get(doc); err) {
    return Status::InvalidArgument(std::string("invalid JSON: ") + simdjson::error_message(err));
  }
  if (doc.get_object().get(body->obj) != simdjson::SUCCESS) {
    return Status::InvalidArgument("invalid JSON: expected a JSON object");
  }
  return Status::Ok();
}

bool IsInteger(simdjson::dom::element v) {
  return v.type() == simdjson::dom::element_type::INT64 ||
         v.type() == simdjson::dom::element_type::UINT64;
}

// Reads an optional integer field into `out` (left as is when absent or null).
Status IntField(simdjson::dom::object obj, const char* name, int64_t* out) {
  simdjson::dom::element v;
  if (obj.at_key(name).get(v) != simdjson::SUCCESS || v.is_null()) return Status::Ok();
  if (!IsInteger(v) || v.get_int64().get(*out) != simdjson::SUCCESS) {
    return Status::InvalidArgument("invalid JSON: field \"" + std::string(name) +
                                   "\" must be an integer");
  }
  return Status::Ok();
}

// `expires_days > 0` => now + days (capped), else no expiry (0).
int64_t ExpiryFromDays(int64_t now_ms, int64_t days) {
  return days > 0 ? now_ms + std::min<int64_t>(days, limits::kMaxExpiryDays) * kDayMs : 0;
}

// The "tier" field, trimmed and lower-cased; a missing or non-string one is refused like any
// unknown tier.
Result<Tier> ParseTierField(simdjson::dom::object obj) {
  std::string_view tier_sv;
  simdjson::dom::element tv;
  if (obj.at_key("tier").get(tv) == simdjson::SUCCESS &&
      tv.get_string().get(tier_sv) != simdjson::SUCCESS) {
    tier_sv = {};
  }
  std::string tier(tier_sv);
  tier.erase(0, tier.find_first_not_of(" \t"));
  tier.erase(tier.find_last_not_of(" \t") + 1);
  std::transform(tier.begin(), tier.end(), tier.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  const std::optional<Tier> parsed = ParseTier(tier);
  if (!parsed) return Status::InvalidArgument("tier must be hobby, pro, or enterprise");
  return *parsed;
}

struct RateLimitOverride {
  std::optional<int64_t> burst;
  std::optional<double> per_sec;
};

// {"burst", "per_second"}: both set, or both null (back to the server's defaults).
Result<RateLimitOverride> ParseRateLimit(simdjson::dom::object obj) {
  simdjson::dom::element b, r;
  const bool has_b = obj.at_key("burst").get(b) == simdjson::SUCCESS && !b.is_null();
  const bool has_r = obj.at_key("per_second").get(r) == simdjson::SUCCESS && !r.is_null();
  if (has_b != has_r) {
    return Status::InvalidArgument("burst and per_second must both be set, or both null");
  }
  RateLimitOverride out;
  if (!has_b) return out;
  int64_t burst;
  double per_sec;
  if (!IsInteger(b) || b.get_int64().get(burst) != simdjson::SUCCESS || burst < 1 ||
      burst > limits::kMaxRateLimitBurst) {
    return Status::InvalidArgument("burst must be an integer from 1 to 1000000000");
  }
  if (r.get_double().get(per_sec) != simdjson::SUCCESS || !std::isfinite(per_sec) ||
      !(per_sec >= limits::kMinRatePerSec) || per_sec > limits::kMaxRatePerSec) {
    return Status::InvalidArgument("per_second must be a number from 0.001 to 1000000000");
  }
  out.burst = burst;
  out.per_sec = per_sec;
  return out;
}

// {"days"}: required; an integer in range, or null (back to the server's default).
Result<std::optional<int64_t>> ParseRetentionDays(simdjson::dom::object obj) {
  simdjson::dom::element v;
  if (obj.at_key("days").get(v) != simdjson::SUCCESS) {
    return Status::InvalidArgument("days is required (an integer >= 0, or null)");
  }
  std::optional<int64_t> days;
  if (v.is_null()) return days;
  int64_t d;
  if (!IsInteger(v) || v.get_int64().get(d) != simdjson::SUCCESS || d < 0 ||
      d > limits::kMaxRetentionDays) {
    return Status::InvalidArgument("days must be an integer >= 0, or null");
  }
  days = d;
  return days;
}

// POST /admin/abuse/{id}/resolve: an optional {"note", "reactivate"}.
Status ParseResolveBody(const RequestContext& ctx, std::string* note, bool* reactivate) {
  if (ctx.body.empty()) return Status::Ok();
  AdminBody body;
  Status s = ParseAdminBody(ctx, &body);
  if (!s.ok()) return s;
  simdjson::dom::element v;
  if (body.obj.at_key("note").get(v) == simdjson::SUCCESS && !v.is_null()) {
    std::string_view sv;
    if (v.get_string().get(sv) != simdjson::SUCCESS) {
      return Status::InvalidArgument("note must be a string");
    }
    *note = std::string(sv);
  }
  if (body.obj.at_key("reactivate").get(v) == simdjson::SUCCESS && !v.is_null()) {
    if (v.get_bool().get(*reactivate) != simdjson::SUCCESS) {
      return Status::InvalidArgument("reactivate must be a boolean");
    }
  }
  return Status::Ok();
}

// `"key":value`, or `"key":null` when absent.
void OptionalInt(JsonWriter& w, const char* key, std::optional<int64_t> v) {
  w.Key(key);
  v ? w.Int(*v) : w.Null();
}

void OptionalDouble(JsonWriter& w, const char* key, std::optional<double> v) {
  w.Key(key);
  v ? w.Double(*v) : w.Null();
}

}  // namespace

void AdminHandlers::ListProjects(RequestContext& ctx) {
  const int64_t limit = ctx.PageParam("limit", limits::kDefaultPageSize, 1, limits::kMaxPageSize);
  const int64_t offset = ctx.PageParam("offset", 0, 0, limits::kMaxOffset);
  auto list_result = store_.ReadValue(
      [&](ReadTxn& txn) { return storage::ListAdminProjects(txn, limit, offset); });
  if (!list_result.ok()) return SendError(ctx, list_result.status());
  std::vector<AdminProject>& list = list_result.value();
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

void AdminHandlers::GetProject(RequestContext& ctx) {
  auto p = FindAdminProject(store_, ctx);
  if (!p) return;
  std::vector<Execution> recent;
  std::vector<FailureGroupRow> groups;
  std::vector<ApiKeyRow> keys;
  std::vector<WebhookRow> hooks;
  Status s = store_.Read([&](ReadTxn& txn) {
    ExecutionFilter f;
    f.limit = limits::kAdminRecentRows;
    auto e = storage::ListExecutions(txn, p->id, f);
    if (!e.ok()) return e.status();
    recent = std::move(e.value());
    auto g = storage::ListFailureGroups(txn, p->id, limits::kAdminRecentRows, 0);
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

void AdminHandlers::SetTier(RequestContext& ctx) {
  ChangeProject(store_, ctx, [&](const AdminProject& p) -> Result<ProjectChange> {
    AdminBody body;
    Status s = ParseAdminBody(ctx, &body);
    if (!s.ok()) return s;
    auto tier = ParseTierField(body.obj);
    if (!tier.ok()) return tier.status();
    int64_t days = 0;
    s = IntField(body.obj, "expires_days", &days);
    if (!s.ok()) return s;
    const int64_t expires = ExpiryFromDays(ctx.now_ms, days);
    ProjectChange c;
    c.action = "admin.tier";
    c.detail = [tier = tier.value(), expires](JsonWriter& w) {
      w.Field("tier", TierName(tier));
      WriteExpiry(w, expires);
    };
    c.answer = c.detail;
    c.write = [id = p.id, tier = tier.value(), expires](WriteTxn& txn) {
      return storage::SetTier(txn, id, tier, expires);
    };
    return c;
  });
}

void AdminHandlers::Grant(RequestContext& ctx) {
  ChangeProject(store_, ctx, [&](const AdminProject& p) -> Result<ProjectChange> {
    AdminBody body;
    Status s = ParseAdminBody(ctx, &body);
    if (!s.ok()) return s;
    int64_t delta = 0, days = 0;
    s = IntField(body.obj, "executions", &delta);
    if (s.ok()) s = IntField(body.obj, "expires_days", &days);
    if (!s.ok()) return s;
    if (delta == 0 && days == 0) {
      return Status::InvalidArgument("executions must be non-zero, or expires_days must be set");
    }
    if (delta > limits::kMaxGrantDelta || delta < -limits::kMaxGrantDelta) {
      return Status::InvalidArgument("executions delta exceeds 10M guardrail");
    }
    const int64_t expires = ExpiryFromDays(ctx.now_ms, days);
    ProjectChange c;
    c.action = "admin.grant";
    c.detail = [delta, expires](JsonWriter& w) {
      w.Field("delta", delta);
      WriteExpiry(w, expires);
    };
    c.answer = c.detail;
    c.write = [id = p.id, delta, expires](WriteTxn& txn) {
      return storage::AddGrant(txn, id, delta, expires);
    };
    return c;
  });
}

void AdminHandlers::SetRateLimit(RequestContext& ctx) {
  ChangeProject(store_, ctx, [&](const AdminProject& p) -> Result<ProjectChange> {
    AdminBody body;
    Status s = ParseAdminBody(ctx, &body);
    if (!s.ok()) return s;
    auto parsed = ParseRateLimit(body.obj);
    if (!parsed.ok()) return parsed.status();
    const RateLimitOverride limit = parsed.value();
    ProjectChange c;
    c.action = "admin.rate_limit";
    c.detail = [limit](JsonWriter& w) {
      OptionalInt(w, "burst", limit.burst);
      OptionalDouble(w, "per_second", limit.per_sec);
    };
    c.answer = c.detail;
    c.write = [id = p.id, limit](WriteTxn& txn) {
      std::optional<double> burst;
      if (limit.burst) burst = static_cast<double>(*limit.burst);
      return storage::SetRateLimit(txn, id, burst, limit.per_sec);
    };
    // Effective at once: the cached auth record carries the override, and buckets start afresh.
    c.committed = [this, id = p.id] {
      keys_.EvictProject(id);
      limiter_.Forget(id);
    };
    return c;
  });
}

void AdminHandlers::SetRetention(RequestContext& ctx) {
  ChangeProject(store_, ctx, [&](const AdminProject& p) -> Result<ProjectChange> {
    AdminBody body;
    Status s = ParseAdminBody(ctx, &body);
    if (!s.ok()) return s;
    auto parsed = ParseRetentionDays(body.obj);
    if (!parsed.ok()) return parsed.status();
    const std::optional<int64_t> days = parsed.value();
    ProjectChange c;
    c.action = "admin.retention";
    c.detail = [days](JsonWriter& w) { OptionalInt(w, "days", days); };
    c.answer = [days](JsonWriter& w) { OptionalInt(w, "retention_days", days); };
    c.write = [id = p.id, days](WriteTxn& txn) { return storage::SetRetention(txn, id, days); };
    return c;
  });
}

void AdminHandlers::Suspend(RequestContext& ctx) {
  ChangeProject(store_, ctx, [&](const AdminProject& p) -> Result<ProjectChange> {
    auto reason = ParseOptionalStringField(ctx.body, "reason");
    if (!reason.ok()) return reason.status();
    if (reason->size() > limits::kMaxReasonBytes) {
      return Status::InvalidArgument("reason longer than " +
                                     std::to_string(limits::kMaxReasonBytes) + " bytes");
    }
    const std::string& path = ctx.req->path;
    const bool suspend = path.size() >= 8 && path.compare(path.size() - 8, 8, "/suspend") == 0;
    ProjectChange c;
    c.action = suspend ? "admin.suspend" : "admin.unsuspend";
    c.detail = [suspend, reason = reason.value()](JsonWriter& w) {
      if (suspend && !reason.empty()) w.Field("reason", reason);
    };
    c.answer = [suspend](JsonWriter& w) { w.Field("suspended", suspend); };
    c.write = [id = p.id, suspend, reason = reason.value(), now_ms = ctx.now_ms](WriteTxn& txn) {
      return storage::SetSuspended(txn, id, suspend, reason, now_ms);
    };
    c.committed = [this, id = p.id] { keys_.EvictProject(id); };  // the next request sees it
    return c;
  });
}

void AdminHandlers::DeleteProject(RequestContext& ctx) {
  ChangeProject(store_, ctx, [&](const AdminProject& p) -> Result<ProjectChange> {
    if (ctx.Query("confirm") != p.name) {
      return Status::InvalidArgument("confirmation mismatch, pass ?confirm=<exact project name>");
    }
    if (!p.stripe_subscription_id.empty()) {
      return Status::Conflict("project has an active Stripe subscription (" +
                              p.stripe_subscription_id +
                              "). Cancel it via the Stripe Dashboard before deleting.");
    }
    ProjectChange c;
    c.action = "admin.project_delete";
    c.detail = [project_id = p.project_id, name = p.name](JsonWriter& w) {
      w.Field("project_id", project_id).Field("name", name);
    };
    c.answer = [](JsonWriter&) {};
    c.write = [id = p.id](WriteTxn& txn) { return storage::DeleteProject(txn, id); };
    // The one row that outlives the project: who deleted it, and when.
    c.audit_outlives_project = true;
    c.committed = [this, id = p.id] {
      keys_.EvictProject(id);
      limiter_.Forget(id);
      streams_.CloseProject(id);
    };
    return c;
  });
}

void AdminHandlers::Storage(RequestContext& ctx) {
  std::vector<ProjectUsage> usages;
  Status s = store_.Read([&](ReadTxn& txn) {
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
  const std::string& db = store_.path();
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
    w.Field("tier", TierName(u.tier))
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

void AdminHandlers::ListAbuse(RequestContext& ctx) {
  const bool include_resolved = ctx.Query("include_resolved") == "true";
  const int64_t limit =
      ctx.PageParam("limit", limits::kDefaultAbusePageSize, 1, limits::kMaxAbusePageSize);
  auto signals_result = store_.ReadValue(
      [&](ReadTxn& txn) { return storage::ListAbuseSignals(txn, include_resolved, limit); });
  if (!signals_result.ok()) return SendError(ctx, signals_result.status());
  std::vector<AbuseSignal>& signals = signals_result.value();
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
    WriteOptionalTs(w, "notified_at", a.notified_at_ms);
    WriteOptionalTs(w, "suspended_at", a.suspended_at_ms);
    WriteOptionalTs(w, "resolved_at", a.resolved_at_ms);
    if (!a.resolved_by.empty()) w.Field("resolved_by", a.resolved_by);
    if (!a.resolution_note.empty()) w.Field("resolution_note", a.resolution_note);
    w.EndObject();
  }
  w.EndArray().EndObject();
  SendJson(*ctx.res, 200, w.Take());
}

void AdminHandlers::ResolveAbuse(RequestContext& ctx) {
  const std::string& signal_id = ctx.params[0];
  std::string note;
  bool reactivate = false;
  Status s = ParseResolveBody(ctx, &note, &reactivate);
  if (!s.ok()) return SendError(ctx, s);
  std::optional<AbuseSignal> signal;
  bool reactivated = false;
  s = signal_id.size() > limits::kMaxIdBytes ? Status::Ok() : store_.Write([&](WriteTxn& txn) {
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
  if (reactivated) keys_.EvictProject(signal->project);
  JsonWriter w;
  w.BeginObject()
      .Field("ok", true)
      .Field("signal_id", signal_id)
      .Field("reactivated", reactivated)
      .EndObject();
  SendJson(*ctx.res, 200, w.Take());
}

}  // namespace vigil
