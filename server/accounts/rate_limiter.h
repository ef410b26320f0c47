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
  struct State {
    double tokens;
    int64_t updated_ms;
  };
  double burst_;
  double per_sec_;
  std::mutex mu_;
  std::unordered_map<int64_t, State> buckets_[2];
};

// Successful signups per client IP in a sliding hour (docs/api.md#signup).
class SignupLimiter {
 public:
  static constexpr int kMaxPerHour = 5;
  // Seconds until the IP may sign up again, or 0 when allowed now.
  int64_t RetryAfter(const std::string& ip, int64_t now_ms);
  void Record(const std::string& ip, int64_t now_ms);

 private:
  std::mutex mu_;
  std::unordered_map<std::string, std::vector<int64_t>> recent_;  // ip -> success times (ms)
};

}  // namespace vigil
