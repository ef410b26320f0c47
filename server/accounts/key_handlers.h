// The API-key routes of the caller's project (docs/api.md#api-keys): list, mint (the raw key is
// shown once), revoke and rotate.
#pragma once

#include <string>

#include "server/http/request.h"

namespace vigil {

class KeyCache;
class Store;

class KeyHandlers {
 public:
  // Both must outlive the handlers. `keys` caches authentications: a revoked key leaves it at once.
  KeyHandlers(Store& store, KeyCache& keys, std::string key_prefix)
      : store_(store), keys_(keys), key_prefix_(std::move(key_prefix)) {}

  void List(RequestContext& ctx);
  void Create(RequestContext& ctx);
  void Delete(RequestContext& ctx);
  void Rotate(RequestContext& ctx);

 private:
  Store& store_;
  KeyCache& keys_;
  const std::string key_prefix_;  // of minted keys
};

}  // namespace vigil
