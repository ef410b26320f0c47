#include "server/accounts/key_handlers.h"

#include "domain/time_util.h"
#include "server/accounts/auth.h"
#include "server/accounts/keys.h"
#include "server/audit/audit.h"
#include "server/codec/json_codec.h"
#include "server/codec/resources.h"
#include "server/limits.h"
#include "storage/audit.h"
#include "storage/keys.h"
#include "storage/store.h"

namespace vigil {
namespace {

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

void KeyHandlers::List(RequestContext& ctx) {
  auto keys_result =
      store_.ReadValue([&](ReadTxn& txn) { return storage::ListKeys(txn, ctx.auth.project); });
  if (!keys_result.ok()) return SendError(ctx, keys_result.status());
  std::vector<ApiKeyRow>& keys = keys_result.value();
  JsonWriter w;
  w.BeginObject().Field("ok", true).Key("api_keys").BeginArray();
  for (const ApiKeyRow& k : keys) WriteApiKey(w, k, ctx.auth.project_id);
  w.EndArray().Field("count", static_cast<int64_t>(keys.size())).EndObject();
  SendJson(*ctx.res, 200, w.Take());
}

void KeyHandlers::Create(RequestContext& ctx) {
  auto name = ParseOptionalStringField(ctx.body, "name");
  if (!name.ok()) return SendError(ctx, name.status());
  if (name->size() > limits::kMaxNameBytes) {
    return SendError(
        ctx, Status::InvalidArgument("name longer than " + std::to_string(limits::kMaxNameBytes) +
                                     " bytes"));
  }
  const MintedKey key = MintKey(key_prefix_);
  Status s = store_.Write([&](WriteTxn& txn) {
    auto count = storage::CountKeys(txn, ctx.auth.project);
    if (!count.ok()) return count.status();
    if (count.value() >= limits::kMaxKeysPerProject) {
      return Status::Conflict("too many api keys (max " +
                              std::to_string(limits::kMaxKeysPerProject) + ")");
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

void KeyHandlers::Delete(RequestContext& ctx) {
  const std::string& key_id = ctx.params[0];
  bool deleted = false;
  Status s = store_.Write([&](WriteTxn& txn) {
    auto r = storage::DeleteKey(txn, ctx.auth.project, key_id);
    if (!r.ok()) return r.status();
    deleted = r.value();
    if (!deleted) return Status::Ok();
    return storage::InsertAudit(txn, ActionEntry(ctx, "api_key.revoke", 200, KeyDetail(key_id)));
  });
  if (!s.ok()) return SendError(ctx, s);
  if (!deleted) return SendError(ctx, Status::NotFound("api key not found"));
  // Before the response: the very next request with this key is refused.
  keys_.EvictKey(key_id);
  JsonWriter w;
  w.BeginObject().Field("ok", true).Field("key_id", key_id).EndObject();
  SendJson(*ctx.res, 200, w.Take());
}

void KeyHandlers::Rotate(RequestContext& ctx) {
  const std::string& old_id = ctx.params[0];
  const MintedKey key = MintKey(key_prefix_);
  std::optional<std::string> name;
  // Mint and revoke in one transaction: there is never a moment with neither or both valid.
  Status s = store_.Write([&](WriteTxn& txn) {
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
  keys_.EvictKey(old_id);
  WriteMinted(*ctx.res, key, *name, &old_id);
}

}  // namespace vigil
