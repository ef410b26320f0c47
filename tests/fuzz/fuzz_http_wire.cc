// Fuzz target: the front's request framing (server/http/wire.h). The input is what a client sends
// on a connection. The oracle: the parser answers every input, a complete head never claims more
// bytes than it was given, a refusal carries one of the statuses the contract names, and the
// chunked decoder, fed the rest in uneven pieces, never consumes more than it was given nor
// decodes more than its limit, and gives the same body however the bytes are split.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "server/http/wire.h"

namespace {

constexpr uint64_t kMaxBody = 4096;

// Decodes `rest` fed in pieces of `step` bytes (0 = all at once); the body, or "" on a refusal.
std::string DecodeInPieces(std::string_view rest, size_t step, const vigil::WireLimits& limits) {
  vigil::ChunkedDecoder decoder(kMaxBody, limits);
  std::string body;
  size_t done = 0;
  while (done <= rest.size()) {
    const size_t n = step == 0 ? rest.size() - done : std::min(step, rest.size() - done);
    size_t used = 0;
    const auto state = decoder.Feed(rest.substr(done, n), &used, &body);
    if (used > n) std::abort();
    if (body.size() > kMaxBody) std::abort();
    done += used;
    if (state != vigil::ChunkedDecoder::State::kNeedMore) {
      return state == vigil::ChunkedDecoder::State::kDone ? body : std::string();
    }
    if (used != n) std::abort();  // kNeedMore consumes everything it was given
    if (done == rest.size()) break;
  }
  return "<incomplete>";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  vigil::WireLimits limits;
  limits.max_head_bytes = 2048;  // small limits so the fuzzer reaches them
  limits.max_target_bytes = 512;
  limits.max_header_fields = 16;
  const vigil::HeadParse p = vigil::ParseRequestHead(bytes, limits);
  switch (p.verdict) {
    case vigil::HeadVerdict::kIncomplete:
      if (size >= limits.max_head_bytes) std::abort();
      return 0;
    case vigil::HeadVerdict::kRefused:
      if (p.http_status != 400 && p.http_status != 414 && p.http_status != 431 &&
          p.http_status != 505) {
        std::abort();
      }
      return 0;
    case vigil::HeadVerdict::kComplete:
      break;
  }
  if (p.head.head_bytes == 0 || p.head.head_bytes > size) std::abort();
  if (p.head.head_bytes > limits.max_head_bytes) std::abort();
  if (p.head.target.empty() || p.head.fields.size() > limits.max_header_fields) std::abort();
  if (p.head.framing != vigil::BodyFraming::kChunked) return 0;
  const std::string_view rest = bytes.substr(p.head.head_bytes);
  const std::string whole = DecodeInPieces(rest, 0, limits);
  if (DecodeInPieces(rest, 1, limits) != whole) std::abort();
  if (DecodeInPieces(rest, 3, limits) != whole) std::abort();
  return 0;
}
