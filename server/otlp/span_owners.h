// Which nested agent's execution the spans of earlier requests went to, so that a descendant
// exported in a later request than its agent span lands in the same child execution
// (docs/otlp.md#live-idempotent-order-independent). In memory, bounded across all projects (the
// oldest entries are dropped first); keys start with the project, so projects never see each
// other's entries. Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "server/otlp/mapping.h"

namespace vigil::otlp {

class SpanOwnerCache {
 public:
  explicit SpanOwnerCache(size_t capacity) : capacity_(capacity) {}

  std::optional<std::string> Find(int64_t project, std::string_view trace_id,
                                  std::string_view span_id) const;
  void Add(int64_t project, const std::vector<SpanOwner>& owners);
  size_t size() const;

 private:
  size_t capacity_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::string> owners_;
  std::deque<std::string> order_;  // keys, oldest first
};

}  // namespace vigil::otlp
