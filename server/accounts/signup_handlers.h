// POST /signup (docs/api.md#signup): a new project with its first API key, limited per client IP.
#pragma once

#include <string>

#include "server/http/request.h"

namespace vigil {

class AbuseMonitor;
class SignupLimiter;
class Store;

class SignupHandlers {
 public:
  // Every reference must outlive the handlers. `enabled` false answers every signup 403.
  SignupHandlers(Store& store, SignupLimiter& limiter, AbuseMonitor& abuse, bool enabled,
                 std::string key_prefix)
      : store_(store),
        limiter_(limiter),
        abuse_(abuse),
        enabled_(enabled),
        key_prefix_(std::move(key_prefix)) {}

  void Signup(RequestContext& ctx);

 private:
  Store& store_;
  SignupLimiter& limiter_;
  AbuseMonitor& abuse_;
  const bool enabled_;
  const std::string key_prefix_;  // of minted keys
};

}  // namespace vigil
