// Orphan spans taken in by a nested agent span exported after them
// (docs/otlp.md#live-idempotent-order-independent).
#include <deque>
#include <map>
#include <set>
#include <string_view>
#include <utility>

#include "server/otlp/mapping.h"

namespace vigil::otlp {
namespace {

bool StartsNestedAgent(const Span& span) {
  return !span.parent_span_id.empty() && ClassifySpan(span) == SpanRole::kAgent;
}

// A trace's child links: from a span id to the orphans and request spans whose parent it is.
struct TraceLinks {
  std::multimap<std::string_view, const OrphanSpan*> orphans;
  std::multimap<std::string_view, const Span*> spans;
};

// The orphans below `agent`, through orphans and request spans that are not nested agents.
void AdoptBelow(const Span& agent, const TraceLinks& links, std::vector<Adoption>* out) {
  const std::string execution = TraceExecutionId(agent.trace_id) + "-" + agent.span_id;
  std::set<std::string_view> seen{agent.span_id};
  std::deque<std::string_view> todo{agent.span_id};
  while (!todo.empty()) {
    const std::string_view parent = todo.front();
    todo.pop_front();
    for (auto [it, end] = links.orphans.equal_range(parent); it != end; ++it) {
      if (!seen.insert(it->second->span_id).second) continue;
      out->push_back({*it->second, execution});
      todo.push_back(it->second->span_id);
    }
    for (auto [it, end] = links.spans.equal_range(parent); it != end; ++it) {
      if (StartsNestedAgent(*it->second) || !seen.insert(it->second->span_id).second) continue;
      todo.push_back(it->second->span_id);
    }
  }
}

}  // namespace

std::vector<Adoption> AdoptOrphans(const std::vector<Span>& spans, const EarlierOrphans& orphans) {
  std::vector<Adoption> out;
  if (!orphans) return out;
  std::map<std::string_view, std::vector<const Span*>> agents;  // by trace
  for (const Span& span : spans) {
    if (StartsNestedAgent(span)) agents[span.trace_id].push_back(&span);
  }
  for (const auto& [trace_id, trace_agents] : agents) {
    const std::vector<OrphanSpan> earlier = orphans(trace_id);
    if (earlier.empty()) continue;
    TraceLinks links;
    for (const OrphanSpan& o : earlier) links.orphans.emplace(o.parent_span_id, &o);
    for (const Span& span : spans) {
      if (span.trace_id == trace_id) links.spans.emplace(span.parent_span_id, &span);
    }
    for (const Span* agent : trace_agents) AdoptBelow(*agent, links, &out);
  }
  return out;
}

}  // namespace vigil::otlp
