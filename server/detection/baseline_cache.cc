#include "server/detection/baseline_cache.h"

namespace vigil {

BaselineCache::BaselineCache(size_t max_entries)
    : max_entries_(max_entries > 0 ? max_entries : 1) {}

std::string BaselineCache::Key(int64_t project, const std::string& name) {
  // The project comes first and is separated by a byte no name may hold (names have no control
  // characters), so two tenants' agents of the same name never share an entry.
  return std::to_string(project) + '\x1f' + name;
}

std::optional<AgentBaseline> BaselineCache::Get(int64_t project, const std::string& name) {
  const std::string key = Key(project, name);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  lru_.splice(lru_.begin(), lru_, it->second.lru);
  return it->second.baseline;
}

void BaselineCache::Put(int64_t project, const std::string& name, const AgentBaseline& baseline) {
  std::string key = Key(project, name);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(key);
  if (it != entries_.end()) {
    it->second.baseline = baseline;
    lru_.splice(lru_.begin(), lru_, it->second.lru);
    return;
  }
  lru_.push_front(key);
  entries_.emplace(std::move(key), Entry{baseline, lru_.begin()});
  while (entries_.size() > max_entries_) {
    entries_.erase(lru_.back());
    lru_.pop_back();
  }
}

size_t BaselineCache::size() {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.size();
}

}  // namespace vigil
