#include "server/otlp/span_owners.h"

namespace vigil::otlp {
namespace {

std::string OwnerKey(int64_t project, std::string_view trace_id, std::string_view span_id) {
  std::string key = std::to_string(project);
  key.push_back('/');
  key.append(trace_id);
  key.push_back('/');
  key.append(span_id);
  return key;
}

}  // namespace

std::optional<std::string> SpanOwnerCache::Find(int64_t project, std::string_view trace_id,
                                                std::string_view span_id) const {
  const std::string key = OwnerKey(project, trace_id, span_id);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = owners_.find(key);
  if (it == owners_.end()) return std::nullopt;
  return it->second;
}

void SpanOwnerCache::Add(int64_t project, const std::vector<SpanOwner>& owners) {
  if (capacity_ == 0) return;
  std::lock_guard<std::mutex> lock(mu_);
  for (const SpanOwner& o : owners) {
    std::string key = OwnerKey(project, o.trace_id, o.span_id);
    auto [it, inserted] = owners_.try_emplace(key, o.execution_id);
    if (!inserted) continue;
    order_.push_back(std::move(key));
    if (order_.size() > capacity_) {
      owners_.erase(order_.front());
      order_.pop_front();
    }
  }
}

size_t SpanOwnerCache::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return owners_.size();
}

}  // namespace vigil::otlp
