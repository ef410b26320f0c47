// API keys of the caller's project (spec §6): list, mint (shown once), revoke, rotate.
#include "domain/time_util.h"
#include "server/accounts/keys.h"
#include "server/app/app.h"
#include "server/audit/audit.h"
#include "server/codec/json_codec.h"
#include "server/handlers.h"
#include "server/limits.h"
#include "storage/audit.h"
#include "storage/keys.h"

namespace vigil {
namespace {

constexpr int64_t kMaxKeysPerProject = 100;

void WriteMinted(httplib::Response& res, const MintedKey& key, const std::string& name,
                 const std::string* rotated_key_id) {
  res.set_header("Cache-Control", "no-store");  // the body holds a raw key
  JsonWriter w;
  w.BeginObject()
      .Field("ok", true)
      .Field("key_id", key.key_id)
      .Field("raw_key", key.raw_key)
      .Field("prefix", key.key_prefix)
      .Field("name", name)
      .Field("warning", "Store this raw_key now, it will never be shown again.");
  if (rotated_key_id) w.Field("rotated_key_id", *rotated_key_id);
  w.EndObject();
  SendJson(res, 200, w.Take());
}

}  // namespace

std::string KeyDetail(const std::string& key_id) {
  JsonWriter w;
  w.BeginObject().Field("key_id", key_id).EndObject();
  return w.Take();
}

void HandleListKeys(App& app, RequestContext& ctx) {
  std::vector<ApiKeyRow> keys;
  Status s = app.store().Read([&](ReadTxn& txn) {
    auto r = storage::ListKeys(txn, ctx.auth.project);
    if (!r.ok()) return r.status();
    keys = std::move(r.value());
    return Status::Ok();
  });
  if (!s.ok()) return SendError(ctx, s);
  JsonWriter w;
  w.BeginObject().Field("ok", true).Key("api_keys").BeginArray();
  for (const ApiKeyRow& k : keys) WriteApiKey(w, k, ctx.auth.project_id);
  w.EndArray().Field("count", static_cast<int64_t>(keys.size())).EndObject();
  SendJson(*ctx.res, 200, w.Take());
}

void HandleCreateKey(App& app, RequestContext& ctx) {
  auto name = ParseOptionalStringField(ctx.body, "name");
  if (!name.ok()) return SendError(ctx, name.status());
  if (name->size() > limits::kMaxNameBytes) {
    return SendError(ctx,
                     Status::InvalidArgument("name longer than " +
                                             std::to_string(limits::kMaxNameBytes) + " bytes"));
  }
  const MintedKey key = MintKey(app.config().key_prefix);
  Status s = app.store().Write([&](WriteTxn& txn) {
    auto count = storage::CountKeys(txn, ctx.auth.project);
    if (!count.ok()) return count.status();
    if (count.value() >= kMaxKeysPerProject) {
      return Status::Conflict("too many api keys (max " + std::to_string(kMaxKeysPerProject) + ")");
    }
    Status u = storage::UpsertKey(txn, ctx.auth.project, key.key_id, key.key_hash, key.key_prefix,
                                  name.value(), ctx.now_ms);
    if (!u.ok()) return u;
    return storage::InsertAudit(txn,
                                ActionEntry(ctx, "api_key.create", 200, KeyDetail(key.key_id)));
  });
  if (!s.ok()) return SendError(ctx, s);
  WriteMinted(*ctx.res, key, name.value(), nullptr);
}

void HandleDeleteKey(App& app, RequestContext& ctx) {
  const std::string& key_id = ctx.params[0];
  bool deleted = false;
  Status s = app.store().Write([&](WriteTxn& txn) {
    auto r = storage::DeleteKey(txn, ctx.auth.project, key_id);
    if (!r.ok()) return r.status();
    deleted = r.value();
    if (!deleted) return Status::Ok();
    return storage::InsertAudit(txn, ActionEntry(ctx, "api_key.revoke", 200, KeyDetail(key_id)));
  });
  if (!s.ok()) return SendError(ctx, s);
  if (!deleted) return SendError(ctx, Status::NotFound("api key not found"));
  // Before the response: the very next request with this key is refused.
  app.auth().cache().EvictKey(key_id);
  JsonWriter w;
  w.BeginObject().Field("ok", true).Field("key_id", key_id).EndObject();
  SendJson(*ctx.res, 200, w.Take());
}

void HandleRotateKey(App& app, RequestContext& ctx) {
  const std::string& old_id = ctx.params[0];
  const MintedKey key = MintKey(app.config().key_prefix);
  std::optional<std::string> name;
  // Mint and revoke in one transaction: there is never a moment with neither or both valid.
  Status s = app.store().Write([&](WriteTxn& txn) {
    auto n = storage::KeyName(txn, ctx.auth.project, old_id);
    if (!n.ok()) return n.status();
    name = n.value();
    if (!name) return Status::Ok();
    Status u = storage::UpsertKey(txn, ctx.auth.project, key.key_id, key.key_hash, key.key_prefix,
                                  *name, ctx.now_ms);
    if (!u.ok()) return u;
    u = storage::DeleteKey(txn, ctx.auth.project, old_id).status();
    if (!u.ok()) return u;
    JsonWriter detail;
    detail.BeginObject().Field("key_id", key.key_id).Field("rotated_key_id", old_id).EndObject();
    return storage::InsertAudit(txn, ActionEntry(ctx, "api_key.rotate", 200, detail.Take()));
  });
  if (!s.ok()) return SendError(ctx, s);
  if (!name) return SendError(ctx, Status::NotFound("api key not found"));
  app.auth().cache().EvictKey(old_id);
  WriteMinted(*ctx.res, key, *name, &old_id);
}

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

}  // namespace vigil
