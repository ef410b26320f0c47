// Per-project token buckets (docs/api.md#rate-limits): one for ingestion writes, one for everything
// else, so a dashboard reading never starves the SDKs.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace vigil {

enum class Bucket { kIngest, kOther };

// One token bucket: the tokens it holds as of `updated_ms`.
struct TokenBucket {
  double tokens;
  int64_t updated_ms;
};

struct RateDecision {
  bool allowed = false;
  int64_t limit = 0;          // X-RateLimit-Limit
  int64_t remaining = 0;      // X-RateLimit-Remaining
  int64_t reset_unix_s = 0;   // X-RateLimit-Reset
  int64_t retry_after_s = 0;  // Retry-After when refused
};

class RateLimiter {
 public:
  RateLimiter(double burst, double per_sec) : burst_(burst), per_sec_(per_sec) {}

  // Takes one token from the project's bucket if it has a whole one. `burst`/`per_sec` override
  // the defaults for this project when set. Thread-safe.
  RateDecision Take(int64_t project, Bucket bucket, int64_t now_ms,
                    std::optional<double> burst = std::nullopt,
                    std::optional<double> per_sec = std::nullopt);
  // Drops the project's buckets (deleted project, changed limits: they start full again).
  void Forget(int64_t project);

 private:
  double burst_;
  double per_sec_;
  std::mutex mu_;
  std::unordered_map<int64_t, TokenBucket> buckets_[2];
};

// Successful signups per client IP in a sliding hour (docs/api.md#signup). A signup reserves its
// slot before it writes anything and gives it back if the write fails, so concurrent signups from
// one IP can never together pass the limit.
class SignupLimiter {
 public:
  static constexpr int kMaxPerHour = 5;
  // Reserves a slot for the IP at now_ms and answers 0, or answers the seconds until the IP may
  // sign up again (nothing reserved).
  int64_t Reserve(const std::string& ip, int64_t now_ms);
  // Gives back a slot Reserve took at reserved_ms (the signup failed).
  void Release(const std::string& ip, int64_t reserved_ms);

 private:
  std::mutex mu_;
  std::unordered_map<std::string, std::vector<int64_t>> recent_;  // ip -> success times (ms)
};

// Authentication attempts per client IP, as a token bucket: every attempt takes a token before its
// credential is compared and a successful one gives it back, so only failures use the bucket up
// and concurrent guesses cannot together pass it. Thread-safe; memory bounded by
// limits::kMaxRateBuckets addresses.
class AttemptThrottle {
 public:
  AttemptThrottle(double burst, double per_sec) : burst_(burst), per_sec_(per_sec) {}
  // 0 when the attempt may go ahead (a token was taken), else the seconds until one may.
  int64_t Take(const std::string& ip, int64_t now_ms);
  // Gives back the token of an attempt that succeeded.
  void Refund(const std::string& ip);

 private:
  double burst_;
  double per_sec_;
  std::mutex mu_;
  std::unordered_map<std::string, TokenBucket> buckets_;
};

}  // namespace vigil
