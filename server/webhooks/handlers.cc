#include "server/webhooks/handlers.h"

#include <simdjson.h>

#include <algorithm>
#include <cstdlib>

#include "detectors/detectors.h"
#include "domain/time_util.h"
#include "server/audit/audit.h"
#include "server/codec/resources.h"
#include "server/http/front.h"
#include "server/limits.h"
#include "server/webhooks/address.h"
#include "server/webhooks/webhooks.h"
#include "storage/audit.h"
#include "storage/store.h"
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
// keys ignored (docs/api.md#json-bodies). Only shape errors here; values are checked by the caller.
Result<WebhookBody> ParseWebhookBody(std::string_view body) {
  size_t i = 0;
  while (i < body.size() && std::isspace(static_cast<unsigned char>(body[i]))) ++i;
  if (i == body.size()) return Status::InvalidArgument("invalid JSON: empty body");
  // Per thread (parsers are not thread-safe), with the nesting bound of docs/api.md#json-bodies.
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

// The project's webhook named by the path, or NotFound (another project's is the same: missing).
Result<WebhookRow> FindWebhook(Store& store, const RequestContext& ctx) {
  const std::string& id = ctx.params[0];
  if (id.size() > limits::kMaxIdBytes) return Status::NotFound("webhook not found");
  auto hook =
      store.ReadValue([&](ReadTxn& txn) { return storage::GetWebhook(txn, ctx.auth.project, id); });
  if (!hook.ok()) return hook.status();
  if (!hook.value()) return Status::NotFound("webhook not found");
  return std::move(*hook.value());
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

namespace {

std::string WebhookDetail(const std::string& webhook_id) {
  JsonWriter w;
  w.BeginObject().Field("webhook_id", webhook_id).EndObject();
  return w.Take();
}

}  // namespace

void WebhookHandlers::Create(RequestContext& ctx) {
  auto body = ParseWebhookBody(ctx.body);
  if (!body.ok()) return SendError(ctx, body.status());
  if (body->url.empty()) return SendError(ctx, Status::InvalidArgument("url required"));
  auto url = ParseWebhookUrl(body->url);
  if (!url.ok()) return SendError(ctx, url.status());
  if (body->name.size() > limits::kMaxNameBytes) {
    return SendError(
        ctx, Status::InvalidArgument("name longer than " + std::to_string(limits::kMaxNameBytes) +
                                     " bytes"));
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
  auto created = webhooks_.Create(ctx.auth.project, ctx.auth.project_id, std::move(row),
                                  url.value(), ctx.now_ms);
  if (!created.ok()) return SendError(ctx, created.status());
  const WebhookRow& w = created->row;
  store_.AppendAudit(ActionEntry(ctx, "webhook.create", 200, WebhookDetail(w.webhook_id)));
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
  ctx.res->set_header("Cache-Control",
                      "no-store");  // the response carries a secret (docs/api.md#security-headers)
  SendJson(*ctx.res, 200, out.Take());
}

void WebhookHandlers::List(RequestContext& ctx) {
  auto hooks_result =
      store_.ReadValue([&](ReadTxn& txn) { return storage::ListWebhooks(txn, ctx.auth.project); });
  if (!hooks_result.ok()) return SendError(ctx, hooks_result.status());
  std::vector<WebhookRow>& hooks = hooks_result.value();
  JsonWriter w;
  w.BeginObject().Field("ok", true).Key("webhooks").BeginArray();
  for (const WebhookRow& h : hooks) WriteWebhook(w, h, ctx.auth.project_id);
  w.EndArray().Field("count", static_cast<int64_t>(hooks.size())).EndObject();
  SendJson(*ctx.res, 200, w.Take());
}

void WebhookHandlers::Delete(RequestContext& ctx) {
  const std::string& id = ctx.params[0];
  bool deleted = false;
  if (id.size() <= limits::kMaxIdBytes) {
    Status s = store_.Write([&](WriteTxn& txn) {
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

void WebhookHandlers::Test(RequestContext& ctx) {
  const std::string& id = ctx.params[0];
  if (id.size() > limits::kMaxIdBytes) {
    return SendError(ctx, Status::NotFound("webhook not found"));
  }
  auto slot = webhooks_.AcquireTestSlot(ctx.auth.project);
  if (!slot.ok()) {
    ctx.res->set_header("Retry-After", std::to_string(limits::kWebhookTestRetryAfterSec));
    return SendError(ctx, slot.status());
  }
  // The attempt may wait for a slow receiver up to the attempt timeout: this thread gives its
  // place among the HTTP workers to a fresh one and answers when the attempt is done.
  DetachWorkerForStream();
  auto r = webhooks_.SendTest(ctx.auth.project, ctx.auth.project_id, id, ctx.now_ms);
  if (!r.ok()) return SendError(ctx, r.status());
  if (!r.value()) return SendError(ctx, Status::NotFound("webhook not found"));
  const auto& t = *r.value();
  store_.AppendAudit(ActionEntry(ctx, "webhook.test", 200, WebhookDetail(id)));
  JsonWriter w;
  w.BeginObject()
      .Field("ok", t.attempt.delivered)
      .Field("webhook_id", id)
      .Field("delivery_id", t.delivery_id)
      .Field("status", DeliveryStatusName(t.attempt.delivered ? DeliveryStatus::kDelivered
                                                              : DeliveryStatus::kFailed))
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

void WebhookHandlers::ListDeliveries(RequestContext& ctx) {
  auto hook = FindWebhook(store_, ctx);
  if (!hook.ok()) return SendError(ctx, hook.status());
  const int64_t limit = LimitParam(ctx);
  auto rows_result = store_.ReadValue([&](ReadTxn& txn) {
    return storage::ListWebhookDeliveries(txn, ctx.auth.project, hook->row, limit);
  });
  if (!rows_result.ok()) return SendError(ctx, rows_result.status());
  std::vector<WebhookAttemptRow>& rows = rows_result.value();
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
