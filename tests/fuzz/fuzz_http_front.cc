// Fuzz target: one connection's requests as the front assembles them (server/http/
// request_assembler.h), from what a client sends. The first byte chooses how the rest is split
// into reads. The oracle: the same requests (targets and bodies, in order) and the same end (a
// refusal, or waiting for more) however the bytes arrive, no body past its limit, and nothing
// buffered that was not sent.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "server/http/request_assembler.h"

namespace {

constexpr uint64_t kMaxBody = 4096;

// Every request read from `bytes` fed in reads of `step` bytes (0 = all at once), each as
// "target|body\n", then the verdict the connection ended with.
std::string Assemble(std::string_view bytes, size_t step) {
  vigil::WireLimits limits;
  limits.max_head_bytes = 2048;
  limits.max_target_bytes = 512;
  limits.max_header_fields = 16;
  vigil::RequestAssembler reader(limits, kMaxBody);
  std::string out;
  size_t fed = 0;
  for (;;) {
    const auto phase = reader.Advance();
    if (phase == vigil::RequestAssembler::Phase::kChecks) {
      out += reader.head().target + "|";
      reader.AcceptBody();
      continue;
    }
    if (phase == vigil::RequestAssembler::Phase::kDone) {
      const std::string body = reader.TakeBody();
      if (body.size() > kMaxBody) std::abort();
      out += body + "\n";
      reader.Next();
      continue;
    }
    if (phase == vigil::RequestAssembler::Phase::kRefused) {
      // Which limit a refused head hits first may depend on how much of it had arrived (an
      // incomplete head is refused as soon as it passes a limit), so only the refusal counts.
      const int status = reader.refusal_status();
      if (status != 400 && status != 413 && status != 414 && status != 431 && status != 501 &&
          status != 505) {
        std::abort();
      }
      return out + "refused";
    }
    if (reader.buffered() > bytes.size()) std::abort();
    if (fed == bytes.size()) break;
    const size_t n = step == 0 ? bytes.size() - fed : std::min(step, bytes.size() - fed);
    reader.Received(bytes.substr(fed, n));
    fed += n;
  }
  return out + "waiting";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t step = data[0] % 17;
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::string whole = Assemble(bytes, 0);
  const std::string pieces = Assemble(bytes, step == 0 ? 1 : step);
  if (pieces != whole) {
    std::fprintf(stderr, "whole:  %s\npieces: %s\n", whole.c_str(), pieces.c_str());
    std::abort();
  }
  return 0;
}
