// Spans to Vigil's data model (docs/otlp.md#mapping): one execution per trace, events for the
// spans inside it, child executions for nested agents. Pure: the handler stores the result through
// the same ingestion path as POST /events and POST /executions.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/merge.h"
#include "server/otlp/span.h"

namespace vigil::otlp {

// What a span is, by the first rule that decides (docs/otlp.md#span-kinds): OpenInference's
// openinference.span.kind, then gen_ai.operation.name, then the Vercel AI SDK's ai.operationId,
// then any gen_ai.tool.* attribute, then any model attribute.
enum class SpanRole { kLlmCall, kToolCall, kAgent, kOther };
SpanRole ClassifySpan(const Span& span);

// An event in the form of a POST /events element. Ids are derived from the trace and span ids
// alone, so a span re-sent in either encoding is the same event and is stored once.
struct MappedEvent {
  std::string event_id;
  std::string execution_id;
  std::string event_type;
  int64_t sequence = 0;  // the span's start in microseconds: events sort by start time
  int64_t timestamp_ms = 0;
  int64_t duration_ms = 0;
  std::string payload_json;
};

// A span that belongs to a nested agent's execution (a nested agent span owns its own).
struct SpanOwner {
  std::string trace_id;
  std::string span_id;
  std::string execution_id;
};

// A span stored in its trace's execution because the walk up its parents reached a span no
// request had brought yet: a nested agent span arriving later may take it into its execution.
struct OrphanSpan {
  std::string trace_id;
  std::string span_id;
  std::string parent_span_id;
  int64_t sequence = 0;  // its event's
};

// An orphan span of an earlier request that a nested agent span of this request takes in: its
// event moves from the trace's execution to `execution_id`.
struct Adoption {
  OrphanSpan span;
  std::string execution_id;
};

struct MappedTraces {
  std::vector<MappedEvent> events;  // by span start, ties by span id
  // The executions whose defining span (a trace's root, a nested agent) arrived, with the fields
  // it settles; executions only seen through their events are created by those events.
  std::vector<ExecutionPatch> executions;
  // The spans of this request owned by a nested agent's execution, for later requests that bring
  // their descendants.
  std::vector<SpanOwner> child_owners;
  // The spans of this request stored in their trace's execution with an unknown ancestor.
  std::vector<OrphanSpan> orphans;
};

// The nested agent's execution a span of an earlier request belongs to; nullopt when unknown.
using EarlierOwner =
    std::function<std::optional<std::string>(std::string_view trace_id, std::string_view span_id)>;

// The orphan spans earlier requests stored for a trace (the same trace id), in any order.
using EarlierOrphans = std::function<std::vector<OrphanSpan>(std::string_view trace_id)>;

// The orphans of earlier requests below the nested agent spans of `spans`: reached from such an
// agent span by walking down child links through orphans and this request's other spans, not
// past another nested agent span (whose own execution holds what is below it).
std::vector<Adoption> AdoptOrphans(const std::vector<Span>& spans, const EarlierOrphans& orphans);

// The execution of a trace: "otel-" and the 32 hex digits of its trace id.
std::string TraceExecutionId(std::string_view trace_id);
// The event id of a span: its trace's execution id, "-" and its span id, whichever execution holds
// it, so a span re-sent or moved to a nested agent's execution stays the same event.
std::string SpanEventId(std::string_view trace_id, std::string_view span_id);

// Spans of one request, of any number of traces, in any order. A span's execution is found by
// walking its parents within the request; where the walk leaves the request, `earlier` (when
// given) names the execution of the parent it reached; otherwise the span belongs to its trace's
// execution.
MappedTraces MapSpans(const std::vector<Span>& spans, const EarlierOwner& earlier = nullptr);

}  // namespace vigil::otlp
