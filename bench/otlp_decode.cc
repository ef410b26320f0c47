// CPU cost of the OTLP protobuf decoder, of the span mapping and of turning mapped spans into
// events for ingestion, in process: one 100-span request body as the ingestion benchmark sends it
// (bench/otlp_load.h), decoded and mapped many times. For comparison, the same events written as a
// POST /events body and parsed by ParseEventBatch (how OTLP ingestion once reached the event
// parser).
// usage: vigil_bench_otlp_decode [ROUNDS]   (default 2000)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "bench/otlp_load.h"
#include "domain/time_util.h"
#include "server/codec/json_codec.h"
#include "server/otlp/decode.h"
#include "server/otlp/mapping.h"

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

// Microseconds per span of CompleteMappedEvent on every mapped event, `rounds` times.
double EventsDirectly(const std::vector<vigil::otlp::MappedEvent>& mapped, int rounds) {
  const auto t0 = Clock::now();
  size_t done = 0;
  std::string error;
  for (int i = 0; i < rounds; ++i) {
    for (const vigil::otlp::MappedEvent& m : mapped) {
      vigil::Event e;
      e.event_id = m.event_id;
      e.execution_id = m.execution_id;
      e.event_type = m.event_type;
      e.payload_json = m.payload_json;
      done += vigil::CompleteMappedEvent(&e, true, &error) ? 1 : 0;
    }
  }
  return Seconds(t0) * 1e6 / static_cast<double>(done);
}

// Microseconds per span of writing the mapped events as a POST /events body and parsing it.
double EventsThroughJson(const std::vector<vigil::otlp::MappedEvent>& mapped, int rounds) {
  const auto t0 = Clock::now();
  size_t done = 0;
  for (int i = 0; i < rounds; ++i) {
    vigil::JsonWriter w;
    w.BeginArray();
    for (const vigil::otlp::MappedEvent& e : mapped) {
      w.BeginObject()
          .Field("event_id", e.event_id)
          .Field("execution_id", e.execution_id)
          .Field("event_type", e.event_type)
          .Field("sequence", e.sequence)
          .Field("timestamp", vigil::FormatRfc3339Ms(e.timestamp_ms))
          .Field("duration_ms", e.duration_ms);
      w.Key("payload").Raw(e.payload_json).EndObject();
    }
    done += vigil::ParseEventBatch(w.EndArray().Take(), 0, true).value().events.size();
  }
  return Seconds(t0) * 1e6 / static_cast<double>(done);
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 2000;
  std::string spans;
  const std::string trace(16, 'a'), root(8, 'r');
  for (int j = 0; j < 100; ++j) {
    const std::string id = "s" + std::to_string(1000000 + j);
    vigil::bench::AppendChatSpan(spans, trace, std::string_view(id.data(), 8), root,
                                 1000 + static_cast<uint64_t>(j), j);
  }
  const std::string body = vigil::bench::WrapSpans(spans);
  const auto t0 = Clock::now();
  size_t decoded_spans = 0;
  for (int i = 0; i < rounds; ++i) {
    decoded_spans += vigil::otlp::DecodeProtobuf(body).value().spans.size();
  }
  const auto t1 = Clock::now();
  const vigil::otlp::DecodedTraces decoded = vigil::otlp::DecodeProtobuf(body).value();
  size_t events = 0;
  for (int i = 0; i < rounds; ++i) events += vigil::otlp::MapSpans(decoded.spans).events.size();
  const auto t2 = Clock::now();
  const double decode_s = std::chrono::duration<double>(t1 - t0).count();
  const double map_s = std::chrono::duration<double>(t2 - t1).count();
  std::printf("request body                 %8zu bytes, 100 spans\n", body.size());
  std::printf("protobuf decode              %8.2f us/span  %6.0f MB/s\n",
              decode_s * 1e6 / static_cast<double>(decoded_spans),
              static_cast<double>(body.size()) * rounds / decode_s / 1e6);
  std::printf("span mapping                 %8.2f us/span\n",
              map_s * 1e6 / static_cast<double>(events));
  const std::vector<vigil::otlp::MappedEvent> mapped = vigil::otlp::MapSpans(decoded.spans).events;
  std::printf("events for ingest (direct)   %8.2f us/span\n", EventsDirectly(mapped, rounds));
  std::printf("  as a POST /events body     %8.2f us/span  (written and parsed, for comparison)\n",
              EventsThroughJson(mapped, rounds));
  return decoded_spans == 100u * static_cast<size_t>(rounds) ? 0 : 1;
}
