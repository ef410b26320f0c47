#include "server/accounts/keys.h"

#include "domain/hash.h"
#include "domain/random.h"
#include "domain/time_util.h"
#include "storage/keys.h"
#include "storage/projects.h"

namespace vigil {

std::string DisplayPrefix(const std::string& raw_key, const std::string& configured_prefix) {
  return raw_key.substr(0, std::min(raw_key.size(), configured_prefix.size() + 4));
}

MintedKey MintKey(const std::string& prefix) {
  MintedKey k;
  k.key_id = "key-" + RandomHex(8);
  k.raw_key = prefix + RandomBase64Url(24);
  k.key_hash = Sha256Hex(k.raw_key);
  k.key_prefix = DisplayPrefix(k.raw_key, prefix);
  return k;
}

Status BootstrapDev(Store& store, const std::string& dev_key, const std::string& key_prefix) {
  const int64_t now = NowMs();
  return store.Write([&](WriteTxn& txn) {
    auto project = storage::EnsureProject(txn, "proj-dev", "Local Dev", Tier::kHobby, now);
    if (!project.ok()) return project.status();
    return storage::UpsertKey(txn, project.value(), "key-dev", Sha256Hex(dev_key),
                              DisplayPrefix(dev_key, key_prefix), "Local dev key", now);
  });
}

}  // namespace vigil
