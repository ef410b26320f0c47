#include "server/accounts/rate_limiter.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "server/limits.h"

namespace vigil {

namespace {

// A header value from a computed number of seconds: never negative, never past int64.
int64_t HeaderSeconds(double s) {
  if (!(s > 0)) return 0;
  return s >= 9.2e18 ? std::numeric_limits<int64_t>::max() : static_cast<int64_t>(s);
}

// `v` within [lo, hi]; `fallback` (the server's setting) when it is not a number at all.
double Bounded(double v, double lo, double hi, double fallback) {
  return std::isnan(v) ? fallback : std::clamp(v, lo, hi);
}

}  // namespace

RateDecision RateLimiter::Take(int64_t project, Bucket bucket, int64_t now_ms,
                               std::optional<double> burst_override,
                               std::optional<double> rate_override) {
  // Overrides are validated when set; a value stored before that (or a corrupt one) is clamped to
  // the same bounds, so no header can overflow.
  const double burst = Bounded(burst_override.value_or(burst_), 1.0,
                               static_cast<double>(limits::kMaxRateLimitBurst), burst_);
  const double rate = Bounded(rate_override.value_or(per_sec_), limits::kMinRatePerSec,
                              limits::kMaxRatePerSec, per_sec_);
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
    it = map.emplace(project, TokenBucket{burst, now_ms}).first;  // created full
  }
  TokenBucket& s = it->second;
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
    d.retry_after_s = std::max<int64_t>(1, HeaderSeconds(std::ceil((1.0 - s.tokens) / rate)));
  }
  d.remaining = static_cast<int64_t>(std::floor(s.tokens));
  const double to_full_s = (burst - s.tokens) / rate;
  d.reset_unix_s = HeaderSeconds(std::ceil(now_ms / 1000.0 + to_full_s));
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

int64_t SignupLimiter::Reserve(const std::string& ip, int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = recent_.find(ip);
  if (it == recent_.end()) {
    // Bounded: past this many IPs, forget those whose window has passed entirely.
    if (recent_.size() >= limits::kMaxRateBuckets) {
      for (auto j = recent_.begin(); j != recent_.end();) {
        j = j->second.empty() || j->second.back() <= now_ms - kHourMs ? recent_.erase(j)
                                                                      : std::next(j);
      }
    }
    it = recent_.emplace(ip, std::vector<int64_t>()).first;
  }
  auto& times = it->second;
  times.erase(
      std::remove_if(times.begin(), times.end(), [&](int64_t t) { return t <= now_ms - kHourMs; }),
      times.end());
  if (static_cast<int>(times.size()) >= kMaxPerHour) {
    return std::max<int64_t>(1, (times.front() + kHourMs - now_ms + 999) / 1000);
  }
  times.push_back(now_ms);
  return 0;
}

void SignupLimiter::Release(const std::string& ip, int64_t reserved_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = recent_.find(ip);
  if (it == recent_.end()) return;
  auto& times = it->second;
  const auto t = std::find(times.begin(), times.end(), reserved_ms);
  if (t != times.end()) times.erase(t);
}

int64_t AttemptThrottle::Take(const std::string& ip, int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  const auto refilled = [&](const TokenBucket& s) {
    const int64_t elapsed_ms = std::max<int64_t>(0, now_ms - s.updated_ms);
    return std::min(burst_, s.tokens + elapsed_ms / 1000.0 * per_sec_);
  };
  auto it = buckets_.find(ip);
  if (it == buckets_.end()) {
    if (buckets_.size() >= limits::kMaxRateBuckets) {
      // Bounded memory: a bucket that has refilled completely is the same as a new one.
      for (auto j = buckets_.begin(); j != buckets_.end();) {
        j = refilled(j->second) >= burst_ ? buckets_.erase(j) : std::next(j);
      }
    }
    it = buckets_.emplace(ip, TokenBucket{burst_, now_ms}).first;
  }
  TokenBucket& s = it->second;
  s.tokens = refilled(s);
  s.updated_ms = std::max(s.updated_ms, now_ms);
  if (s.tokens < 1.0) {
    return std::max<int64_t>(1, static_cast<int64_t>(std::ceil((1.0 - s.tokens) / per_sec_)));
  }
  s.tokens -= 1.0;
  return 0;
}

void AttemptThrottle::Refund(const std::string& ip) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = buckets_.find(ip);
  if (it != buckets_.end()) it->second.tokens = std::min(burst_, it->second.tokens + 1.0);
}

}  // namespace vigil
