// Webhook endpoints (spec §10.1): create (secret shown once), list, delete, test, deliveries.
#include "server/handlers.h"

#include <simdjson.h>

#include <algorithm>
#include <cstdlib>

#include "detectors/detectors.h"
#include "domain/time_util.h"
#include "server/app/app.h"
#include "server/audit/audit.h"
#include "server/limits.h"
#include "server/webhooks/address.h"
#include "server/webhooks/webhooks.h"
#include "storage/audit.h"
#include "storage/webhooks.h"

namespace vigil {
namespace {

using simdjson::dom::element;

constexpr const char* kValidClasses =
    "crashes, loops, tool_failures, validator_failures, drift, cost_velocity, prompt_injection";
constexpr const char* kSecretWarning =
    "Store this secret now, it will never be shown again. Use it to verify the webhook-signature "
    "header on deliveries.";

bool IsFailureClass(std::string_view c) {
  return c == kClassCrashes || c == kClassLoops || c == kClassToolFailures ||
         c == kClassValidatorFailures || c == kClassDrift || c == kClassCostVelocity ||
         c == kClassPromptInjection;
}

struct WebhookBody {
  std::string url;
  std::string name;
  std::vector<std::string> classes;
  bool enabled = true;
};

Status TypeError(std::string_view field, const char* type) {
  return Status::InvalidArgument("invalid JSON: field \"" + std::string(field) + "\" must be " +
                                 type);
}

// POST /webhooks body: {"url", "name"?, "enabled_classes"?, "enabled"?}; null = absent, unknown
// keys ignored (spec §2.2). Only shape errors here; values are checked by the caller.
Result<WebhookBody> ParseWebhookBody(std::string_view body) {
  size_t i = 0;
  while (i < body.size() && std::isspace(static_cast<unsigned char>(body[i]))) ++i;
  if (i == body.size()) return Status::InvalidArgument("invalid JSON: empty body");
  // Per thread (parsers are not thread-safe), with the nesting bound of spec §2.2.
  thread_local simdjson::dom::parser parser;
  thread_local bool allocated = false;
  if (!allocated) {
    allocated = parser.allocate(64 * 1024, limits::kMaxJsonDepth) == simdjson::SUCCESS;
    if (!allocated) return Status::Unavailable("out of memory");
  }
  element doc;
  const auto err = parser.parse(body.data(), body.size(), true).get(doc);
  if (err == simdjson::DEPTH_ERROR) {
    return Status::InvalidArgument("invalid JSON: nesting deeper than 64");
  }
  if (err == simdjson::UTF8_ERROR) return Status::InvalidArgument("invalid JSON: invalid UTF-8");
  if (err != simdjson::SUCCESS) {
    return Status::InvalidArgument(std::string("invalid JSON: ") + simdjson::error_message(err));
  }
  simdjson::dom::object obj;
  if (doc.get_object().get(obj) != simdjson::SUCCESS) {
    return Status::InvalidArgument("invalid JSON: expected a JSON object");
  }
  WebhookBody out;
  for (auto [key, value] : obj) {
    if (key == "url") {
      out.url.clear();
      if (value.is_null()) continue;
      std::string_view s;
      if (value.get_string().get(s) != simdjson::SUCCESS) return TypeError(key, "a string");
      out.url = std::string(s);
    } else if (key == "name") {
      out.name.clear();
      if (value.is_null()) continue;
      std::string_view s;
      if (value.get_string().get(s) != simdjson::SUCCESS) return TypeError(key, "a string");
      out.name = std::string(s);
    } else if (key == "enabled_classes") {
      out.classes.clear();
      if (value.is_null()) continue;
      simdjson::dom::array arr;
      if (value.get_array().get(arr) != simdjson::SUCCESS) return TypeError(key, "an array");
      for (element item : arr) {
        std::string_view s;
        if (item.get_string().get(s) != simdjson::SUCCESS) {
          return TypeError(key, "an array of strings");
        }
        out.classes.emplace_back(s);
      }
    } else if (key == "enabled") {
      out.enabled = true;
      if (value.is_null()) continue;
      bool b;
      if (value.get_bool().get(b) != simdjson::SUCCESS) return TypeError(key, "a boolean");
      out.enabled = b;
    }
  }
  return out;
}

void WriteClasses(JsonWriter& w, const std::vector<std::string>& classes) {
  w.Key("enabled_classes").BeginArray();
  for (const auto& c : classes) w.String(c);
  w.EndArray();
}

// The project's webhook named by the path, or NotFound (another project's is the same: missing).
Result<WebhookRow> FindWebhook(App& app, const RequestContext& ctx) {
  const std::string& id = ctx.params[0];
  std::optional<WebhookRow> hook;
  if (id.size() <= limits::kMaxIdBytes) {
    Status s = app.store().Read([&](ReadTxn& txn) {
      auto r = storage::GetWebhook(txn, ctx.auth.project, id);
      if (!r.ok()) return r.status();
      hook = std::move(r.value());
      return Status::Ok();
    });
    if (!s.ok()) return s;
  }
  if (!hook) return Status::NotFound("webhook not found");
  return std::move(*hook);
}

int64_t LimitParam(const RequestContext& ctx) {
  const std::string v = ctx.Query("limit");
  if (v.empty() || v.size() > 18) return limits::kDefaultPageSize;
  char* end = nullptr;
  const long long n = std::strtoll(v.c_str(), &end, 10);
  if (*end != '\0') return limits::kDefaultPageSize;
  return std::max<int64_t>(1, std::min<int64_t>(limits::kMaxPageSize, n));
}

}  // namespace

void WriteWebhook(JsonWriter& w, const WebhookRow& h, const std::string& project_id) {
  w.BeginObject().Field("webhook_id", h.webhook_id).Field("project_id", project_id);
  if (!h.name.empty()) w.Field("name", h.name);
  w.Field("url", h.url);
  WriteClasses(w, h.enabled_classes);
  w.Field("enabled", h.enabled).Field("created_at", FormatRfc3339Ms(h.created_at_ms)).EndObject();
}

namespace {

std::string WebhookDetail(const std::string& webhook_id) {
  JsonWriter w;
  w.BeginObject().Field("webhook_id", webhook_id).EndObject();
  return w.Take();
}

}  // namespace

void HandleCreateWebhook(App& app, RequestContext& ctx) {
  auto body = ParseWebhookBody(ctx.body);
  if (!body.ok()) return SendError(ctx, body.status());
  if (body->url.empty()) return SendError(ctx, Status::InvalidArgument("url required"));
  auto url = ParseWebhookUrl(body->url);
  if (!url.ok()) return SendError(ctx, url.status());
  if (body->name.size() > limits::kMaxNameBytes) {
    return SendError(ctx,
                     Status::InvalidArgument("name longer than " +
                                             std::to_string(limits::kMaxNameBytes) + " bytes"));
  }
  WebhookRow row;
  for (const auto& c : body->classes) {
    if (!IsFailureClass(c)) {
      return SendError(ctx, Status::InvalidArgument("unknown failure_class: " + c +
                                                         " (valid: " + kValidClasses + ")"));
    }
    if (std::find(row.enabled_classes.begin(), row.enabled_classes.end(), c) ==
        row.enabled_classes.end()) {
      row.enabled_classes.push_back(c);
    }
  }
  row.url = body->url;
  row.name = body->name;
  row.enabled = body->enabled;
  auto created = app.webhooks().Create(ctx.auth.project, ctx.auth.project_id, std::move(row),
                                       url.value(), ctx.now_ms);
  if (!created.ok()) return SendError(ctx, created.status());
  const WebhookRow& w = created->row;
  app.store().AppendAudit(
      ActionEntry(ctx, "webhook.create", 200, WebhookDetail(w.webhook_id)));
  JsonWriter out;
  out.BeginObject()
      .Field("ok", true)
      .Field("webhook_id", w.webhook_id)
      .Field("url", w.url)
      .Field("name", w.name);
  WriteClasses(out, w.enabled_classes);
  out.Field("enabled", w.enabled)
      .Field("secret", created->secret)
      .Field("warning", kSecretWarning)
      .EndObject();
  ctx.res->set_header("Cache-Control", "no-store");  // the response carries a secret (spec §2.8)
  SendJson(*ctx.res, 200, out.Take());
}

void HandleListWebhooks(App& app, RequestContext& ctx) {
  std::vector<WebhookRow> hooks;
  Status s = app.store().Read([&](ReadTxn& txn) {
    auto r = storage::ListWebhooks(txn, ctx.auth.project);
    if (!r.ok()) return r.status();
    hooks = std::move(r.value());
    return Status::Ok();
  });
  if (!s.ok()) return SendError(ctx, s);
  JsonWriter w;
  w.BeginObject().Field("ok", true).Key("webhooks").BeginArray();
  for (const WebhookRow& h : hooks) WriteWebhook(w, h, ctx.auth.project_id);
  w.EndArray().Field("count", static_cast<int64_t>(hooks.size())).EndObject();
  SendJson(*ctx.res, 200, w.Take());
}

void HandleDeleteWebhook(App& app, RequestContext& ctx) {
  const std::string& id = ctx.params[0];
  bool deleted = false;
  if (id.size() <= limits::kMaxIdBytes) {
    Status s = app.store().Write([&](WriteTxn& txn) {
      auto r = storage::DeleteWebhook(txn, ctx.auth.project, id);
      if (!r.ok()) return r.status();
      deleted = r.value();
      if (!deleted) return Status::Ok();
      return storage::InsertAudit(txn, ActionEntry(ctx, "webhook.delete", 200, WebhookDetail(id)));
    });
    if (!s.ok()) return SendError(ctx, s);
  }
  if (!deleted) return SendError(ctx, Status::NotFound("webhook not found"));
  JsonWriter w;
  w.BeginObject().Field("ok", true).Field("webhook_id", id).EndObject();
  SendJson(*ctx.res, 200, w.Take());
}

void HandleTestWebhook(App& app, RequestContext& ctx) {
  const std::string& id = ctx.params[0];
  if (id.size() > limits::kMaxIdBytes) {
    return SendError(ctx, Status::NotFound("webhook not found"));
  }
  auto r = app.webhooks().SendTest(ctx.auth.project, ctx.auth.project_id, id, ctx.now_ms);
  if (!r.ok()) return SendError(ctx, r.status());
  if (!r.value()) return SendError(ctx, Status::NotFound("webhook not found"));
  const auto& t = *r.value();
  app.store().AppendAudit(ActionEntry(ctx, "webhook.test", 200, WebhookDetail(id)));
  JsonWriter w;
  w.BeginObject()
      .Field("ok", t.attempt.delivered)
      .Field("webhook_id", id)
      .Field("delivery_id", t.delivery_id)
      .Field("status", t.attempt.delivered ? "delivered" : "failed")
      .Field("attempts", 1)
      .Key("http_status");
  if (t.attempt.http_status) {
    w.Int(*t.attempt.http_status);
  } else {
    w.Null();
  }
  w.Field("error", t.attempt.error)
      .Field("duration_ms", t.attempt.duration_ms)
      .Key("payload")
      .Raw(t.payload)
      .EndObject();
  SendJson(*ctx.res, 200, w.Take());
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
  w.Field("attempt", a.attempt).Field("status", a.status);
  if (a.http_status) w.Field("http_status", *a.http_status);
  if (!a.error.empty()) w.Field("error", a.error);
  if (!a.response_body.empty()) w.Field("response_body", a.response_body);
  w.Field("duration_ms", a.duration_ms).Field("created_at", FormatRfc3339Ms(a.created_at_ms));
  if (a.next_attempt_at_ms) w.Field("next_attempt_at", FormatRfc3339Ms(*a.next_attempt_at_ms));
  w.EndObject();
}

void HandleListWebhookDeliveries(App& app, RequestContext& ctx) {
  auto hook = FindWebhook(app, ctx);
  if (!hook.ok()) return SendError(ctx, hook.status());
  const int64_t limit = LimitParam(ctx);
  std::vector<WebhookAttemptRow> rows;
  Status s = app.store().Read([&](ReadTxn& txn) {
    auto r = storage::ListWebhookDeliveries(txn, ctx.auth.project, hook->row, limit);
    if (!r.ok()) return r.status();
    rows = std::move(r.value());
    return Status::Ok();
  });
  if (!s.ok()) return SendError(ctx, s);
  JsonWriter w;
  w.BeginObject()
      .Field("ok", true)
      .Field("webhook_id", hook->webhook_id)
      .Key("deliveries")
      .BeginArray();
  for (const WebhookAttemptRow& a : rows) {
    WriteWebhookDelivery(w, a, hook->webhook_id, ctx.auth.project_id);
  }
  w.EndArray().Field("count", static_cast<int64_t>(rows.size())).EndObject();
  SendJson(*ctx.res, 200, w.Take());
}

}  // namespace vigil
