// Agent baselines in memory, so the live pass judges each events batch against its agent's
// baseline without a database read (docs/detection.md, "Baselines").
//
// One entry per (project, agent name), least recently used evicted past a fixed count. The final
// pass of every execution with a name puts a freshly read baseline, so an entry follows its
// agent's completions; a miss is filled by the caller from storage. Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "detectors/detectors.h"

namespace vigil {

class BaselineCache {
 public:
  explicit BaselineCache(size_t max_entries);

  // The cached baseline of `name` in `project`, or std::nullopt.
  std::optional<AgentBaseline> Get(int64_t project, const std::string& name);
  // Stores (or replaces) it, evicting the least recently used entries past the bound.
  void Put(int64_t project, const std::string& name, const AgentBaseline& baseline);
  size_t size();

 private:
  struct Entry {
    AgentBaseline baseline;
    std::list<std::string>::iterator lru;
  };
  static std::string Key(int64_t project, const std::string& name);

  const size_t max_entries_;
  std::mutex mu_;
  std::list<std::string> lru_;  // front = most recent
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace vigil
