#include "domain/shares.h"

namespace vigil {

bool ProjectShares::TryTake(int64_t project) {
  if (!HasRoom(project)) return false;
  ++held_[project];
  ++taken_;
  return true;
}

void ProjectShares::Give(int64_t project) {
  auto it = held_.find(project);
  if (it == held_.end()) return;  // never taken: nothing to give back
  if (--it->second == 0) held_.erase(it);
  --taken_;
}

size_t ProjectShares::Held(int64_t project) const {
  auto it = held_.find(project);
  return it == held_.end() ? 0 : it->second;
}

}  // namespace vigil
