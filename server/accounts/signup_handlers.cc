#include "server/accounts/signup_handlers.h"

#include <algorithm>
#include <cctype>
#include <cstring>

#include "domain/random.h"
#include "server/accounts/keys.h"
#include "server/accounts/rate_limiter.h"
#include "server/admin/abuse.h"
#include "server/audit/audit.h"
#include "server/codec/json_codec.h"
#include "server/limits.h"
#include "storage/audit.h"
#include "storage/keys.h"
#include "storage/projects.h"
#include "storage/store.h"

namespace vigil {
namespace {

std::string Trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n"), e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

// ^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$ without a regex engine.
bool ValidEmail(const std::string& email) {
  const auto at = email.find('@');
  if (at == std::string::npos || at == 0) return false;
  for (size_t i = 0; i < at; ++i) {
    const char c = email[i];
    if (!std::isalnum(static_cast<unsigned char>(c)) && !std::strchr("._%+-", c)) return false;
  }
  const std::string domain = email.substr(at + 1);
  const auto dot = domain.rfind('.');
  if (dot == std::string::npos || dot == 0 || domain.size() - dot - 1 < 2) return false;
  for (size_t i = 0; i < dot; ++i) {
    const char c = domain[i];
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-') return false;
  }
  for (size_t i = dot + 1; i < domain.size(); ++i) {
    if (!std::isalpha(static_cast<unsigned char>(domain[i]))) return false;
  }
  return true;
}

}  // namespace

void SignupHandlers::Signup(RequestContext& ctx) {
  if (!enabled_) return SendError(ctx, Status::Forbidden("signup disabled"));
  const std::string ip = ctx.client_ip;
  auto email = ParseOptionalStringField(ctx.body, "email");
  if (!email.ok()) return SendError(ctx, email.status());
  auto project_name = ParseOptionalStringField(ctx.body, "project_name");
  if (!project_name.ok()) return SendError(ctx, project_name.status());
  std::string e = Trim(email.value());
  std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return std::tolower(c); });
  if (e.empty()) return SendError(ctx, Status::InvalidArgument("email is required"));
  if (e.size() > 254) return SendError(ctx, Status::InvalidArgument("email is too long"));
  if (!ValidEmail(e)) {
    return SendError(ctx, Status::InvalidArgument("email format is invalid"));
  }
  std::string name = Trim(project_name.value());
  if (name.empty()) name = "Default project";
  if (name.size() > 80) {
    return SendError(ctx, Status::InvalidArgument("project name must be 80 characters or fewer"));
  }
  if (const int64_t wait_s = limiter_.Reserve(ip, ctx.now_ms)) {
    ctx.res->set_header("Retry-After", std::to_string(wait_s));
    return SendError(ctx,
                     Status::RateLimited("too many signups from this IP. Try again in an hour."));
  }
  const std::string project_id = "proj_" + RandomHex(8);
  const MintedKey key = MintKey(key_prefix_);
  int64_t project_row = 0;
  Status s = store_.Write([&](WriteTxn& txn) {
    auto project = storage::CreateProject(txn, project_id, name, e, Tier::kHobby, ctx.now_ms);
    if (!project.ok()) return project.status();
    project_row = project.value();
    Status u = storage::UpsertKey(txn, project.value(), key.key_id, key.key_hash, key.key_prefix,
                                  "Signup key", ctx.now_ms);
    if (!u.ok()) return u;
    RequestContext as_signup = ctx;
    as_signup.actor = Actor::kSignup;
    u = storage::InsertAudit(txn, ActionEntry(as_signup, "project.signup", 201, "", project_row));
    if (!u.ok()) return u;
    return storage::InsertAudit(
        txn, ActionEntry(as_signup, "api_key.create", 201, KeyDetail(key.key_id), project_row));
  });
  if (!s.ok()) {
    limiter_.Release(ip, ctx.now_ms);
    return SendError(ctx, s);
  }
  abuse_.OnSignup(project_row, project_id, AuditText(ip, limits::kMaxAuditIpBytes), e, ctx.now_ms);
  ctx.res->set_header("Cache-Control", "no-store");
  JsonWriter w;
  w.BeginObject()
      .Field("ok", true)
      .Field("project_id", project_id)
      .Field("project_name", name)
      .Field("api_key", key.raw_key)
      .Field("key_prefix", key.key_prefix)
      .Field("warning", "Store this api_key now. It will never be shown again.")
      .EndObject();
  SendJson(*ctx.res, 201, w.Take());
}

}  // namespace vigil
