#include "server/otlp/handlers.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "server/codec/json_codec.h"
#include "server/http/metrics.h"
#include "server/limits.h"
#include "server/otlp/decode.h"
#include "server/otlp/gzip.h"
#include "server/otlp/mapping.h"
#include "storage/events.h"

namespace vigil {
namespace {

enum class OtlpEncoding { kProtobuf, kJson, kOther };

std::string LowerHeader(const httplib::Request& req, const char* name) {
  std::string v = req.get_header_value(name);
  v = v.substr(0, v.find(';'));
  while (!v.empty() && v.back() == ' ') v.pop_back();
  for (char& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return v;
}

OtlpEncoding EncodingOf(const httplib::Request& req) {
  const std::string ct = LowerHeader(req, "Content-Type");
  if (ct == "application/x-protobuf" || ct == "application/protobuf") {
    return OtlpEncoding::kProtobuf;
  }
  if (ct == "application/json") return OtlpEncoding::kJson;
  return OtlpEncoding::kOther;
}

// Mapped events [begin, end) as events (moved out of `mapped`), through the checks and payload
// fields of a POST /events element (without writing and re-parsing a JSON batch). Refused events
// are counted in `errors`.
std::vector<Event> EventsOf(std::vector<otlp::MappedEvent>* mapped, size_t begin, size_t end,
                            bool detection_fields,
                            std::vector<std::pair<size_t, std::string>>* errors) {
  std::vector<Event> events;
  events.reserve(end - begin);
  for (size_t i = begin; i < end; ++i) {
    otlp::MappedEvent& m = (*mapped)[i];
    Event e;
    e.event_id = std::move(m.event_id);
    e.execution_id = std::move(m.execution_id);
    e.event_type = std::move(m.event_type);
    e.sequence = m.sequence;
    e.timestamp_ms = m.timestamp_ms;
    e.duration_ms = m.duration_ms;
    e.payload_json = std::move(m.payload_json);
    std::string error;
    if (!CompleteMappedEvent(&e, detection_fields, &error)) {
      errors->emplace_back(i, std::move(error));
      continue;
    }
    events.push_back(std::move(e));
  }
  return events;
}

// Which nested agent's execution each adopted span goes to, by (trace id, span id).
std::map<std::pair<std::string_view, std::string_view>, std::string_view> AdoptedBy(
    const std::vector<otlp::Adoption>& adopted) {
  std::map<std::pair<std::string_view, std::string_view>, std::string_view> by;
  for (const otlp::Adoption& a : adopted) {
    by.emplace(std::make_pair(std::string_view(a.span.trace_id), std::string_view(a.span.span_id)),
               a.execution_id);
  }
  return by;
}

// An adopted span's event leaves its trace's execution for the nested agent's; its id stays.
std::vector<storage::EventMove> MovesOf(const std::vector<otlp::Adoption>& adopted) {
  std::vector<storage::EventMove> moves;
  moves.reserve(adopted.size());
  for (const otlp::Adoption& a : adopted) {
    moves.push_back({otlp::SpanEventId(a.span.trace_id, a.span.span_id), a.span.sequence,
                     otlp::TraceExecutionId(a.span.trace_id), a.execution_id});
  }
  return moves;
}

std::vector<otlp::SpanOwner> OwnersOf(const std::vector<otlp::Adoption>& adopted) {
  std::vector<otlp::SpanOwner> owners;
  owners.reserve(adopted.size());
  for (const otlp::Adoption& a : adopted) {
    owners.push_back({a.span.trace_id, a.span.span_id, a.execution_id});
  }
  return owners;
}

// The body's bytes after Content-Encoding; Unsupported for encodings other than gzip.
Result<std::string> DecodedBody(RequestContext& ctx, size_t max_bytes) {
  if (ctx.content_encoding.empty()) return std::move(ctx.body);
  if (ctx.content_encoding != "gzip") {
    return Status::UnsupportedMedia("Content-Encoding must be gzip or identity");
  }
  return otlp::Gunzip(ctx.body, max_bytes);
}

// The google.rpc.Code an OTLP client reads beside the HTTP status (which alone decides whether it
// retries: 429, 502, 503 and 504 do).
int32_t RpcCodeOf(Code code) {
  switch (code) {
    case Code::kOk:
      return 0;
    case Code::kInvalidArgument:
    case Code::kUnsupportedMedia:
      return 3;  // INVALID_ARGUMENT
    case Code::kRequestTimeout:
      return 4;  // DEADLINE_EXCEEDED
    case Code::kNotFound:
      return 5;  // NOT_FOUND
    case Code::kForbidden:
      return 7;  // PERMISSION_DENIED
    case Code::kTooLarge:
    case Code::kHeadersTooLarge:
    case Code::kUriTooLong:
    case Code::kRateLimited:
      return 8;  // RESOURCE_EXHAUSTED
    case Code::kConflict:
    case Code::kNotConfigured:
      return 9;  // FAILED_PRECONDITION
    case Code::kRangeNotSatisfiable:
      return 11;  // OUT_OF_RANGE
    case Code::kMethodNotAllowed:
      return 12;  // UNIMPLEMENTED
    case Code::kOverloaded:
    case Code::kUnavailable:
    case Code::kStorageUnavailable:
    case Code::kStorageFull:
    case Code::kStorageFault:
    case Code::kBadGateway:
      return 14;  // UNAVAILABLE
    case Code::kUnauthenticated:
      return 16;  // UNAUTHENTICATED
    case Code::kStorageCorrupt:
    case Code::kInternal:
      return 13;  // INTERNAL
  }
  return 13;
}

}  // namespace

void OtlpHandlers::ErrorBody(const Status& status, const httplib::Request& req,
                             ErrorResponse* response) {
  const int32_t code = RpcCodeOf(status.code());
  if (EncodingOf(req) == OtlpEncoding::kProtobuf) {
    response->body = otlp::EncodeStatusProtobuf(code, response->message);
    response->content_type = "application/x-protobuf";
  } else {
    response->body = otlp::EncodeStatusJson(code, response->message);
    response->content_type = "application/json";
  }
}

// Only what is stored is remembered: a later request's move then finds its rows.
void OtlpHandlers::RememberStored(int64_t project, const std::vector<otlp::Span>& spans,
                                  const std::vector<otlp::Adoption>& adopted,
                                  const std::vector<otlp::OrphanSpan>& orphans) {
  owners_->Add(project, OwnersOf(adopted));
  orphans_->Remove(project, adopted);
  orphans_->Add(project, orphans);
  for (const otlp::Span& span : spans) {
    if (span.parent_span_id.empty())
      orphans_->ForgetBelowRoot(project, span.trace_id, span.span_id);
  }
}

void OtlpHandlers::ExportTraces(RequestContext& ctx) {
  const OtlpEncoding encoding = EncodingOf(*ctx.req);
  if (encoding == OtlpEncoding::kOther) {
    return SendError(ctx, Status::UnsupportedMedia(
                              "Content-Type must be application/x-protobuf or application/json"));
  }
  auto body = DecodedBody(ctx, max_body_bytes_);
  if (!body.ok()) return SendError(ctx, body.status());
  auto decoded = encoding == OtlpEncoding::kProtobuf ? otlp::DecodeProtobuf(body.value())
                                                     : otlp::DecodeJson(body.value());
  if (!decoded.ok()) return SendError(ctx, decoded.status());
  otlp::DecodedTraces& traces = decoded.value();
  const int64_t project = ctx.auth.project;
  const std::vector<otlp::Adoption> adopted = otlp::AdoptOrphans(
      traces.spans, [&](std::string_view trace_id) { return orphans_->Of(project, trace_id); });
  const std::map<std::pair<std::string_view, std::string_view>, std::string_view> adopted_by =
      AdoptedBy(adopted);
  otlp::MappedTraces mapped =
      otlp::MapSpans(traces.spans, [&](std::string_view trace_id, std::string_view span_id) {
        auto it = adopted_by.find({trace_id, span_id});
        if (it != adopted_by.end()) return std::optional<std::string>(it->second);
        return owners_->Find(project, trace_id, span_id);
      });
  owners_->Add(project, mapped.child_owners);
  const std::vector<storage::EventMove> moves = MovesOf(adopted);
  int64_t accepted = 0, rejected = 0, duplicates = 0;
  // At least one round when only moves are to commit.
  for (size_t begin = 0; begin < mapped.events.size() || (begin == 0 && !moves.empty());
       begin += limits::kMaxEventsPerBatch) {
    const size_t end = std::min(mapped.events.size(), begin + limits::kMaxEventsPerBatch);
    std::vector<std::pair<size_t, std::string>> errors;
    std::vector<Event> events =
        EventsOf(&mapped.events, begin, end, ingest_.detection_fields(), &errors);
    duplicates += static_cast<int64_t>(RemoveRepeatedEventIds(&events));
    IngestResult result;
    const std::vector<storage::EventMove> none;
    if (Status s = ingest_.StoreEvents(ctx, events, &result, begin == 0 ? moves : none); !s.ok()) {
      return SendError(ctx, s);
    }
    accepted += result.accepted;
    duplicates += result.duplicates;
    rejected += static_cast<int64_t>(errors.size());
    if (!errors.empty() && traces.error_message.empty()) {
      traces.error_message = errors.front().second;
    }
  }
  RememberStored(project, traces.spans, adopted, mapped.orphans);
  // Executions after their events: a root span ends its execution, and its final pass then sees
  // every event of this request.
  for (const ExecutionPatch& patch : mapped.executions) {
    auto merged = ingest_.MergeExecution(ctx, patch);
    if (!merged.ok()) return SendError(ctx, merged.status());
  }
  metrics_.AddEvents(accepted, rejected, duplicates);
  traces.rejected_spans += rejected;
  const bool proto = encoding == OtlpEncoding::kProtobuf;
  ctx.res->status = 200;
  ctx.res->set_content(
      proto ? otlp::EncodeResponseProtobuf(traces.rejected_spans, traces.error_message)
            : otlp::EncodeResponseJson(traces.rejected_spans, traces.error_message),
      proto ? "application/x-protobuf" : "application/json");
}

}  // namespace vigil
