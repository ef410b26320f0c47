#include "server/accounts/rate_limiter.h"

#include <algorithm>
#include <cmath>

#include "server/limits.h"

namespace vigil {

RateDecision RateLimiter::Take(int64_t project, Bucket bucket, int64_t now_ms,
                               std::optional<double> burst_override,
                               std::optional<double> rate_override) {
  const double burst = burst_override.value_or(burst_);
  const double rate = rate_override.value_or(per_sec_);
  std::lock_guard<std::mutex> lock(mu_);
  auto& map = buckets_[bucket == Bucket::kIngest ? 0 : 1];
  auto it = map.find(project);
  if (it == map.end()) {
    if (map.size() >= limits::kMaxRateBuckets) {
      // Bounded memory: forget buckets that have refilled completely (they would be created full).
      for (auto j = map.begin(); j != map.end();) {
        const double t = j->second.tokens + (now_ms - j->second.updated_ms) / 1000.0 * rate;
        j = t >= burst ? map.erase(j) : std::next(j);
      }
    }
    it = map.emplace(project, State{burst, now_ms}).first;  // created full
  }
  State& s = it->second;
  if (now_ms > s.updated_ms) {
    s.tokens = std::min(burst, s.tokens + (now_ms - s.updated_ms) / 1000.0 * rate);
    s.updated_ms = now_ms;
  }
  if (s.tokens > burst) s.tokens = burst;  // a lowered override takes effect at once
  RateDecision d;
  d.limit = static_cast<int64_t>(burst);
  if (s.tokens >= 1.0) {
    s.tokens -= 1.0;
    d.allowed = true;
  } else {
    d.retry_after_s =
        std::max<int64_t>(1, static_cast<int64_t>(std::ceil((1.0 - s.tokens) / rate)));
  }
  d.remaining = static_cast<int64_t>(std::floor(s.tokens));
  const double to_full_s = (burst - s.tokens) / rate;
  d.reset_unix_s = static_cast<int64_t>(std::ceil(now_ms / 1000.0 + to_full_s));
  return d;
}

void RateLimiter::Forget(int64_t project) {
  std::lock_guard<std::mutex> lock(mu_);
  buckets_[0].erase(project);
  buckets_[1].erase(project);
}

namespace {
constexpr int64_t kHourMs = 3600 * 1000;
}  // namespace

int64_t SignupLimiter::RetryAfter(const std::string& ip, int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = recent_.find(ip);
  if (it == recent_.end()) return 0;
  auto& times = it->second;
  times.erase(
      std::remove_if(times.begin(), times.end(), [&](int64_t t) { return t <= now_ms - kHourMs; }),
      times.end());
  if (static_cast<int>(times.size()) < kMaxPerHour) return 0;
  return std::max<int64_t>(1, (times.front() + kHourMs - now_ms + 999) / 1000);
}

void SignupLimiter::Record(const std::string& ip, int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  // Bounded: past this many IPs, forget those whose window has passed entirely.
  if (recent_.size() >= limits::kMaxRateBuckets) {
    for (auto it = recent_.begin(); it != recent_.end();) {
      it = it->second.empty() || it->second.back() <= now_ms - kHourMs ? recent_.erase(it)
                                                                       : std::next(it);
    }
  }
  recent_[ip].push_back(now_ms);
}

}  // namespace vigil
