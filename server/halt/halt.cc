#include "server/halt/halt.h"

#include <algorithm>

#include "server/limits.h"

namespace vigil {

bool HaltRegistry::Admits(size_t total_open, size_t project_open, size_t max_total,
                          size_t max_per_project) {
  if (total_open >= max_total || project_open >= max_per_project) return false;
  const size_t reserve = max_total / limits::kHaltStreamReserveDivisor;
  if (total_open < max_total - reserve) return true;
  return project_open < std::max<size_t>(1, max_total / limits::kHaltStreamSmallProjectDivisor);
}

Result<std::shared_ptr<HaltRegistry::Subscriber>> HaltRegistry::Subscribe(
    int64_t project, const std::string& execution_id) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return Status::Overloaded("shutting down");
  const auto held = per_project_.find(project);
  if (!Admits(total_, held == per_project_.end() ? 0 : held->second, max_total_,
              max_per_project_)) {
    return Status::Overloaded("too many halt streams");
  }
  auto sub = std::make_shared<Subscriber>();
  subs_[{project, execution_id}].push_back(sub);
  ++per_project_[project];
  ++total_;
  return sub;
}

void HaltRegistry::Unsubscribe(int64_t project, const std::string& execution_id,
                               const std::shared_ptr<Subscriber>& sub) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = subs_.find({project, execution_id});
  if (it == subs_.end()) return;
  auto& v = it->second;
  const auto before = v.size();
  v.erase(std::remove(v.begin(), v.end(), sub), v.end());
  if (v.size() == before) return;
  if (v.empty()) subs_.erase(it);
  if (--per_project_[project] == 0) per_project_.erase(project);
  --total_;
}

int HaltRegistry::Notify(int64_t project, const std::string& execution_id,
                         const std::string& reason) {
  std::vector<std::shared_ptr<Subscriber>> targets;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = subs_.find({project, execution_id});
    if (it != subs_.end()) targets = it->second;
  }
  int notified = 0;
  for (auto& s : targets) {
    std::lock_guard<std::mutex> lock(s->mu);
    if (s->closed || s->reason) continue;
    s->reason = reason;
    s->cv.notify_all();
    ++notified;
  }
  return notified;
}

void HaltRegistry::CloseProject(int64_t project) {
  std::vector<std::shared_ptr<Subscriber>> subs;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [key, v] : subs_) {
      if (key.first == project) subs.insert(subs.end(), v.begin(), v.end());
    }
  }
  for (auto& s : subs) {
    std::lock_guard<std::mutex> lock(s->mu);
    s->closed = true;
    s->cv.notify_all();
  }
}

void HaltRegistry::CloseAll() {
  std::vector<std::shared_ptr<Subscriber>> all;
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    for (auto& [key, v] : subs_) all.insert(all.end(), v.begin(), v.end());
  }
  for (auto& s : all) {
    std::lock_guard<std::mutex> lock(s->mu);
    s->closed = true;
    s->cv.notify_all();
  }
}

size_t HaltRegistry::open() const {
  std::lock_guard<std::mutex> lock(mu_);
  return total_;
}

}  // namespace vigil
