// The operator's routes (docs/api.md#admin-api), behind the admin token: projects (list, show,
// tier, grants, rate limit, retention, suspension, deletion), the storage report, and abuse
// signals. Every change is committed together with its audit row.
#pragma once

#include "server/http/request.h"

namespace vigil {

class HaltRegistry;
class KeyCache;
class RateLimiter;
class Store;

class AdminHandlers {
 public:
  // Every reference must outlive the handlers. `keys`, `limiter` and `streams` hold per-project
  // state that a suspension, a new rate limit or a deletion must drop.
  AdminHandlers(Store& store, KeyCache& keys, RateLimiter& limiter, HaltRegistry& streams)
      : store_(store), keys_(keys), limiter_(limiter), streams_(streams) {}

  void ListProjects(RequestContext& ctx);
  void GetProject(RequestContext& ctx);
  void SetTier(RequestContext& ctx);
  void Grant(RequestContext& ctx);
  void SetRateLimit(RequestContext& ctx);
  void SetRetention(RequestContext& ctx);
  void Suspend(RequestContext& ctx);  // also /unsuspend
  void DeleteProject(RequestContext& ctx);
  void Storage(RequestContext& ctx);
  void ListAbuse(RequestContext& ctx);
  void ResolveAbuse(RequestContext& ctx);

 private:
  Store& store_;
  KeyCache& keys_;
  RateLimiter& limiter_;
  HaltRegistry& streams_;
};

}  // namespace vigil
