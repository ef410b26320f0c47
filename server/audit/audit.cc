#include "server/audit/audit.h"

#include "domain/percent.h"
#include "domain/time_util.h"
#include "server/app/app.h"
#include "server/limits.h"

namespace vigil {

std::string AuditText(std::string_view text, size_t max_bytes) {
  return PercentEncode(
      text, [](unsigned char c) { return c > 0x20 && c < 0x7f; }, max_bytes);
}

std::string AuditPath(std::string_view target) {
  return AuditText(target.substr(0, target.find('?')), limits::kMaxAuditPathBytes);
}

AuditEntry ActionEntry(const RequestContext& ctx, const std::string& action, int status,
                       const std::string& detail_json, int64_t project) {
  AuditEntry e;
  e.time_ms = ctx.now_ms;
  e.project = project ? project : ctx.auth.project;
  e.actor = ctx.actor.value_or(Actor::kKey);
  if (e.actor == Actor::kKey) e.key_id = ctx.auth.key_id;
  e.action = action;
  e.method = ctx.req->method;
  e.path = AuditPath(ctx.req->target);
  e.status = status;
  e.client_ip = AuditText(ctx.client_ip, limits::kMaxAuditIpBytes);
  e.detail_json = detail_json;
  return e;
}

void WriteAuditEntry(JsonWriter& w, const AuditEntry& e) {
  w.BeginObject().Field("audit_id", e.audit_id).Field("time", FormatRfc3339Ms(e.time_ms));
  if (!e.project_id.empty()) w.Field("project_id", e.project_id);
  w.Field("actor", ActorName(e.actor));
  if (!e.key_id.empty()) w.Field("key_id", e.key_id);
  w.Field("action", e.action);
  if (!e.method.empty()) w.Field("method", e.method);
  if (!e.path.empty()) w.Field("path", e.path);
  if (e.status) w.Field("status", e.status);
  if (!e.client_ip.empty()) w.Field("client_ip", e.client_ip);
  if (!e.detail_json.empty()) w.Key("detail").Raw(e.detail_json);
  w.EndObject();
}

}  // namespace vigil
