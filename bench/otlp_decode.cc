// CPU cost of the OTLP protobuf decoder and of the span mapping, in process: one 100-span request
// body as the ingestion benchmark sends it (bench/otlp_load.h), decoded and mapped many times.
// usage: vigil_bench_otlp_decode [ROUNDS]   (default 2000)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "bench/otlp_load.h"
#include "server/otlp/decode.h"
#include "server/otlp/mapping.h"

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
  using Clock = std::chrono::steady_clock;
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
  return decoded_spans == 100u * static_cast<size_t>(rounds) ? 0 : 1;
}
