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
#include <utility>
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

// The orphan spans (mapping.h OrphanSpan) earlier requests stored in their trace's execution, for
// a nested agent span exported after them (docs/otlp.md#live-idempotent-order-independent). In
// memory, bounded across all projects (the oldest forgotten first) and per trace (past the bound a
// trace's new orphans are not remembered); keys start with the project. Thread-safe.
class OrphanSpanCache {
 public:
  OrphanSpanCache(size_t capacity, size_t per_trace) : capacity_(capacity), per_trace_(per_trace) {}

  std::vector<OrphanSpan> Of(int64_t project, std::string_view trace_id) const;
  void Add(int64_t project, const std::vector<OrphanSpan>& orphans);
  // Forgets the adopted spans: they are no longer in their trace's execution.
  void Remove(int64_t project, const std::vector<Adoption>& adopted);
  // Forgets the orphans below the trace's root span `root_span_id`, once it has arrived: no nested
  // agent span can take them in any more.
  void ForgetBelowRoot(int64_t project, std::string_view trace_id, std::string_view root_span_id);
  size_t size() const;

 private:
  size_t capacity_;
  size_t per_trace_;
  mutable std::mutex mu_;
  // By "<project>/<trace id>", then by span id.
  std::unordered_map<std::string, std::unordered_map<std::string, OrphanSpan>> traces_;
  // (trace key, span id), oldest first; entries removed meanwhile are skipped when they come due.
  std::deque<std::pair<std::string, std::string>> order_;
  size_t size_ = 0;
};

}  // namespace vigil::otlp
