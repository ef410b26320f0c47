// The halt channel (docs/api.md#halt): an in-memory registry of open halt streams keyed by
// (project, execution_id). A halt request wakes every subscriber of that execution; halts are also
// persisted by the caller so an execution that subscribes later still receives it.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "domain/status.h"

namespace vigil {

class HaltRegistry {
 public:
  struct Subscriber {
    std::mutex mu;
    std::condition_variable cv;
    std::optional<std::string> reason;  // set once: the halt to deliver
    bool closed = false;                // shutdown: end the stream without a frame
  };

  HaltRegistry(size_t max_total, size_t max_per_project)
      : max_total_(max_total), max_per_project_(max_per_project) {}

  // Whether a project holding `project_open` of the `total_open` streams may open one more
  // (docs/operations.md#halt-stream-shares): never past either bound, and the last
  // max_total / limits::kHaltStreamReserveDivisor places only for a project holding fewer than
  // max(1, max_total / limits::kHaltStreamSmallProjectDivisor). So a few projects at their cap
  // cannot take every place, and a project with few streams can still open one.
  static bool Admits(size_t total_open, size_t project_open, size_t max_total,
                     size_t max_per_project);

  // Registers a stream. Overloaded ("too many halt streams") when Admits says no.
  Result<std::shared_ptr<Subscriber>> Subscribe(int64_t project, const std::string& execution_id);
  void Unsubscribe(int64_t project, const std::string& execution_id,
                   const std::shared_ptr<Subscriber>& sub);
  // Delivers `reason` to every current subscriber; returns how many were notified.
  int Notify(int64_t project, const std::string& execution_id, const std::string& reason);
  // Ends every stream of one project (deleted project).
  void CloseProject(int64_t project);
  // Shutdown: every stream ends.
  void CloseAll();
  size_t open() const;

 private:
  using Key = std::pair<int64_t, std::string>;
  size_t max_total_;
  size_t max_per_project_;
  mutable std::mutex mu_;
  std::map<Key, std::vector<std::shared_ptr<Subscriber>>> subs_;
  std::map<int64_t, size_t> per_project_;
  size_t total_ = 0;
  bool closed_ = false;
};

}  // namespace vigil
