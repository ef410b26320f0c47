// Places of something projects share (download slots, webhook senders, webhook test sends): at
// most `total` taken at once, and at most `per_project` by one project, so no project, and no set
// of fewer than total / per_project projects, can take them all. The shares and their bounds:
// docs/operations.md#fair-shares-between-projects. Pure bookkeeping; not thread-safe: the owner
// holds its own lock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>

namespace vigil {

class ProjectShares {
 public:
  ProjectShares(size_t total, size_t per_project) : total_(total), per_project_(per_project) {}

  // Whether `project` may take one more place now.
  bool HasRoom(int64_t project) const { return taken_ < total_ && Held(project) < per_project_; }
  // Takes a place for `project`; false (and nothing taken) when HasRoom is false.
  bool TryTake(int64_t project);
  // Gives back a place TryTake took for `project`.
  void Give(int64_t project);

  size_t Held(int64_t project) const;
  size_t taken() const { return taken_; }

 private:
  size_t total_;
  size_t per_project_;
  size_t taken_ = 0;
  std::map<int64_t, size_t> held_;  // only projects holding at least one place
};

}  // namespace vigil
