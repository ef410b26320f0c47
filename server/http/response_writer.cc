#include "server/http/response_writer.h"

#include <poll.h>

#include <cstdio>
#include <exception>

#include "server/http/log.h"
#include "server/limits.h"

namespace vigil {
namespace {

// Writes a streamed body: each Write is one chunk (raw bytes for HTTP/1.0, whose body ends at
// the close).
class ChunkWriter : public ChunkSink {
 public:
  ChunkWriter(Transport& io, bool raw) : io_(io), raw_(raw) {}
  bool Write(std::string_view data) override {
    if (done_ || !ok_) return false;
    if (data.empty()) return true;
    if (raw_) {
      ok_ = WriteFully(io_, data, kTimeoutMs);
      return ok_;
    }
    char size[24];
    const int n = std::snprintf(size, sizeof(size), "%zx\r\n", data.size());
    std::string chunk(size, static_cast<size_t>(n));
    chunk.append(data);
    chunk.append("\r\n");
    ok_ = WriteFully(io_, chunk, kTimeoutMs);
    return ok_;
  }
  void Done() override {
    if (done_) return;
    done_ = true;
    if (ok_ && !raw_) ok_ = WriteFully(io_, "0\r\n\r\n", kTimeoutMs);
  }
  bool done() const override { return done_; }
  bool ok() const { return ok_; }

 private:
  static constexpr int kTimeoutMs = limits::kWriteTimeoutSec * 1000;
  Transport& io_;
  bool raw_;
  bool done_ = false;
  bool ok_ = true;
};

// Runs the stream's producer until it ends the body; true when it ended cleanly and was sent.
bool WriteStream(Transport& io, StreamBody& stream, bool raw) {
  ChunkWriter sink(io, raw);
  bool produced = true;
  try {
    while (produced && !sink.done() && sink.ok()) produced = stream.next(sink);
  } catch (const std::exception& e) {
    // A producer's failure ends its body early (no final chunk), never the worker.
    log::Warn("stream failed", {log::Str("what", e.what())});
    return false;
  }
  return produced && sink.done() && sink.ok();
}

}  // namespace

bool WriteFully(Transport& io, std::string_view data, int timeout_ms) {
  while (!data.empty()) {
    const IoResult r = io.Write(data.data(), data.size());
    if (r.io == Io::kOk) {
      data.remove_prefix(r.n);
      continue;
    }
    if (r.io != Io::kWouldBlock) return false;
    pollfd p{io.fd(), static_cast<short>(r.want_write ? POLLOUT : POLLIN), 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return false;
  }
  return true;
}

bool WriteResponse(Transport& io, RequestContext& ctx, const ResponseFraming& framing,
                   const std::vector<std::pair<std::string, std::string>>& defaults) {
  httplib::Response& res = *ctx.res;
  const bool body = !framing.head_request && !StatusHasNoBody(res.status);
  std::string out = SerializeResponseHead(res, framing, defaults);
  if (body && !framing.chunked) out += res.body;
  bool ok = WriteFully(io, out, limits::kWriteTimeoutSec * 1000);
  if (framing.chunked) {
    if (ok && body) ok = WriteStream(io, ctx.stream, framing.http10);
    if (ctx.stream.on_end) ctx.stream.on_end();
    ctx.stream = StreamBody();
  }
  return ok;
}

}  // namespace vigil
