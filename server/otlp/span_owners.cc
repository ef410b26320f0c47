#include "server/otlp/span_owners.h"

namespace vigil::otlp {
namespace {

std::string TraceKey(int64_t project, std::string_view trace_id) {
  std::string key = std::to_string(project);
  key.push_back('/');
  key.append(trace_id);
  return key;
}

std::string OwnerKey(int64_t project, std::string_view trace_id, std::string_view span_id) {
  std::string key = TraceKey(project, trace_id);
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

std::vector<OrphanSpan> OrphanSpanCache::Of(int64_t project, std::string_view trace_id) const {
  std::vector<OrphanSpan> out;
  const std::string key = TraceKey(project, trace_id);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = traces_.find(key);
  if (it == traces_.end()) return out;
  out.reserve(it->second.size());
  for (const auto& entry : it->second) out.push_back(entry.second);
  return out;
}

void OrphanSpanCache::Add(int64_t project, const std::vector<OrphanSpan>& orphans) {
  if (capacity_ == 0) return;
  std::lock_guard<std::mutex> lock(mu_);
  for (const OrphanSpan& o : orphans) {
    std::string key = TraceKey(project, o.trace_id);
    auto& trace = traces_[key];
    if (trace.size() >= per_trace_ || !trace.try_emplace(o.span_id, o).second) continue;
    ++size_;
    order_.emplace_back(std::move(key), o.span_id);
    while (order_.size() > capacity_) {
      auto due = traces_.find(order_.front().first);
      if (due != traces_.end() && due->second.erase(order_.front().second) > 0) {
        --size_;
        if (due->second.empty()) traces_.erase(due);
      }
      order_.pop_front();
    }
  }
}

void OrphanSpanCache::Remove(int64_t project, const std::vector<Adoption>& adopted) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const Adoption& a : adopted) {
    auto it = traces_.find(TraceKey(project, a.span.trace_id));
    if (it == traces_.end()) continue;
    if (it->second.erase(a.span.span_id) > 0) --size_;
    if (it->second.empty()) traces_.erase(it);
  }
}

void OrphanSpanCache::ForgetBelowRoot(int64_t project, std::string_view trace_id,
                                      std::string_view root_span_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto trace = traces_.find(TraceKey(project, trace_id));
  if (trace == traces_.end()) return;
  std::unordered_multimap<std::string_view, std::string_view> children;
  for (const auto& [span_id, o] : trace->second) children.emplace(o.parent_span_id, span_id);
  std::vector<std::string> below;
  std::vector<std::string_view> todo{root_span_id};
  // Each orphan is reached once: it has one parent, and a cycle cannot pass through the root.
  while (!todo.empty() && below.size() < trace->second.size()) {
    const std::string_view parent = todo.back();
    todo.pop_back();
    for (auto [it, end] = children.equal_range(parent); it != end; ++it) {
      below.emplace_back(it->second);
      todo.push_back(it->second);
    }
  }
  for (const std::string& span_id : below) size_ -= trace->second.erase(span_id);
  if (trace->second.empty()) traces_.erase(trace);
}

size_t OrphanSpanCache::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return size_;
}

}  // namespace vigil::otlp
