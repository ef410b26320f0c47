// The front's loop side of one connection: reading heads and bodies, the head checks, short
// answers written by the loop itself, lingering closes, and the hand-off to a worker.
#include <sys/epoll.h>

#include <algorithm>

#include "server/http/front_loop.h"
#include "server/http/message.h"
#include "server/http/pipeline.h"
#include "server/limits.h"

namespace vigil {
namespace {

// `authority` and `host` name the same host (case-insensitive, ports ignored).
bool SameHost(std::string_view authority, std::string_view host) {
  auto bare = [](std::string_view s) {
    if (!s.empty() && s.front() == '[') return s.substr(0, s.find(']') + 1);
    return s.substr(0, s.find(':'));
  };
  return EqualsIgnoreCase(bare(authority), bare(host));
}

constexpr size_t kReadChunk = 64 * 1024;
// Reads per readiness event: a fast sender cannot hold the loop for long (epoll reports the
// connection again while bytes remain).
constexpr int kReadsPerEvent = 16;

}  // namespace

// Level-triggered: whatever epoll reported, the connection's state says what to try next, and
// every attempt goes on until it would block.
bool FrontLoop::OnEvent(Conn& c) {
  switch (c.state) {
    case ConnState::kWriting:
      return FlushOut(c);
    case ConnState::kLinger:
      return Linger(c);
    case ConnState::kHandshake: {
      const IoResult r = c.io->Handshake();
      if (r.io == Io::kWouldBlock) {
        Watch(c, r.want_write);
        return true;
      }
      if (r.io != Io::kOk) {
        Close(c.io->fd());
        return false;
      }
      Watch(c, false);
      c.state = ConnState::kIdle;
      c.deadline_ms = FrontNowMs() + limits::kKeepAliveTimeoutSec * int64_t{1000};
      return OnReadable(c);  // the first request may have come with the handshake's end
    }
    default:
      return OnReadable(c);
  }
}

bool FrontLoop::OnReadable(Conn& c) {
  static thread_local std::vector<char> buf(kReadChunk);
  for (int i = 0; i < kReadsPerEvent; ++i) {
    size_t want = buf.size();
    if (c.state == ConnState::kIdle || c.state == ConnState::kHead) {
      // A head never needs more than its limit: the parser refuses it past that.
      const size_t have = std::min(c.reader.buffered(), limits::kMaxRequestHeadBytes);
      want = std::min(want, limits::kMaxRequestHeadBytes + 1 - have);
    }
    const IoResult r = c.io->Read(buf.data(), want);
    if (r.io == Io::kWouldBlock) return true;
    if (r.io != Io::kOk || r.n == 0) {
      Close(c.io->fd());
      return false;
    }
    if (c.state == ConnState::kIdle) {
      c.state = ConnState::kHead;
      c.deadline_ms = FrontNowMs() + limits::kRequestHeadTimeoutSec * int64_t{1000};
    }
    c.reader.Received(std::string_view(buf.data(), r.n));
    if (!Process(c)) return false;
    if (c.state == ConnState::kWriting || c.state == ConnState::kLinger) return true;
  }
  return true;
}

bool FrontLoop::Process(Conn& c) {
  for (;;) {
    switch (c.reader.Advance()) {
      case RequestAssembler::Phase::kHead:
        return true;  // wait for more of the head
      case RequestAssembler::Phase::kRefused:
        if (c.reader.refusal_status() == 431) heads_too_large.fetch_add(1);
        return RefuseConnection(c, c.reader.refusal_status(), c.reader.refusal_message());
      case RequestAssembler::Phase::kChecks:
        if (!OnHead(c)) return false;
        if (c.state == ConnState::kWriting || c.state == ConnState::kLinger) return true;
        continue;
      case RequestAssembler::Phase::kBody:
        return OnBodyProgress(c);
      case RequestAssembler::Phase::kDone:
        return Dispatch(c);
    }
  }
}

bool FrontLoop::OnHead(Conn& c) {
  const RequestHead& h = c.reader.head();
  auto ex = std::make_unique<Exchange>();
  FillRequest(h, &ex->req);
  ex->req.remote_addr = c.remote_addr;
  ex->req.remote_port = c.remote_port;
  ex->keep_alive = h.keep_alive;
  ex->http10 = h.minor_version == 0;
  c.exchange = std::move(ex);
  RequestContext& ctx = c.exchange->ctx;
  pipeline_->Begin(ctx);
  if (!options_.host.empty() && !h.authority.empty() && !SameHost(h.authority, options_.host)) {
    return RefuseConnection(c, 421, "this server does not serve " + h.authority);
  }
  if (c.reader.BodyBuffered()) {
    // The usual case: the whole request came with its head. A worker runs every check.
    const uint64_t size =
        h.framing == BodyFraming::kLength ? h.content_length : c.reader.buffered();
    if (!TakeBudget(c, size)) return RefuseConnection(c, 503, "server busy, retry later");
    c.reader.AcceptBody();
    return true;
  }
  // The body is still to come: it is accepted only once the head passed the checks (size, auth,
  // rate limit), on the loop.
  if (!pipeline_->CheckHead(ctx)) return Answer(c, AfterWrite::kLinger);
  c.exchange->head_checked = true;
  if (h.framing == BodyFraming::kLength && h.content_length <= options_.max_body_bytes &&
      !TakeBudget(c, h.content_length)) {
    return RefuseConnection(c, 503, "server busy, retry later");
  }
  c.state = ConnState::kBody;
  c.body_started_ms = FrontNowMs();
  c.reader.AcceptBody();
  if (h.expect_continue && c.reader.phase() == RequestAssembler::Phase::kBody) {
    return StartWrite(c, "HTTP/1.1 100 Continue\r\n\r\n", AfterWrite::kReadBody);
  }
  return true;
}

bool FrontLoop::OnBodyProgress(Conn& c) {
  // A chunked body has no declared size: the budget is taken as it grows, a chunk ahead.
  if (c.reader.body_received() > c.budget &&
      !TakeBudget(c, c.reader.body_received() + kReadChunk)) {
    return RefuseConnection(c, 503, "server busy, retry later");
  }
  return true;
}

bool FrontLoop::Dispatch(Conn& c) {
  c.exchange->ctx.body = c.reader.TakeBody();
  c.reader.Next();
  ++c.served;
  const int fd = c.io->fd();
  auto it = conns_.find(fd);
  Conn* raw = it->second.release();
  conns_.erase(it);
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  if (pool_->TrySubmit([this, raw] { Serve(std::unique_ptr<Conn>(raw)); })) return false;
  // Every worker busy and the queue full: a fast, explicit refusal from the loop.
  conns_[fd].reset(raw);
  Register(fd);
  return RefuseConnection(*raw, 503, "server busy, retry later");
}

bool FrontLoop::RefuseConnection(Conn& c, int http_status, const std::string& message) {
  const Status status = StatusForHttpRefusal(http_status, message);
  if (c.exchange) {
    pipeline_->Refuse(c.exchange->ctx, status);
    c.exchange->res.status = http_status;
    return Answer(c, AfterWrite::kLinger);
  }
  httplib::Response res;
  SendError(res, status);
  res.status = http_status;
  ResponseFraming framing;
  framing.close = true;
  return StartWrite(c, SerializeResponseHead(res, framing, options_.default_headers) + res.body,
                    AfterWrite::kLinger);
}

bool FrontLoop::Answer(Conn& c, AfterWrite after) {
  Exchange& ex = *c.exchange;
  ResponseFraming framing;
  framing.close = true;  // the body was not read, or the framing is lost
  framing.http10 = ex.http10;
  framing.head_request = ex.req.method == "HEAD";
  std::string bytes = SerializeResponseHead(ex.res, framing, options_.default_headers);
  if (!framing.head_request && !StatusHasNoBody(ex.res.status)) bytes += ex.res.body;
  pipeline_->Finish(ex.ctx);
  c.exchange.reset();
  ReleaseBudget(c);
  return StartWrite(c, std::move(bytes), after);
}

bool FrontLoop::StartWrite(Conn& c, std::string bytes, AfterWrite after) {
  c.out = std::move(bytes);
  c.after = after;
  return FlushOut(c);
}

bool FrontLoop::FlushOut(Conn& c) {
  while (!c.out.empty()) {
    const IoResult r = c.io->Write(c.out.data(), c.out.size());
    if (r.io == Io::kOk) {
      c.out.erase(0, r.n);
      continue;
    }
    if (r.io != Io::kWouldBlock) {
      Close(c.io->fd());
      return false;
    }
    if (c.state != ConnState::kWriting) {
      c.state = ConnState::kWriting;
      c.deadline_ms = FrontNowMs() + limits::kWriteTimeoutSec * int64_t{1000};
    }
    Watch(c, r.want_write);
    return true;
  }
  if (c.state == ConnState::kWriting) Watch(c, false);
  switch (c.after) {
    case AfterWrite::kReadBody:
      c.state = ConnState::kBody;
      return Process(c);
    case AfterWrite::kLinger:
      return StartLinger(c);
  }
  return true;
}

bool FrontLoop::StartLinger(Conn& c) {
  c.io->ShutdownWrite();
  c.state = ConnState::kLinger;
  c.lingered = 0;
  c.deadline_ms = FrontNowMs() + limits::kLingerTimeoutMs;
  return Linger(c);
}

bool FrontLoop::Linger(Conn& c) {
  static thread_local std::vector<char> sink(kReadChunk);
  for (int i = 0; i < kReadsPerEvent; ++i) {
    const IoResult r = c.io->Read(sink.data(), sink.size());
    if (r.io == Io::kWouldBlock) return true;
    c.lingered += r.n;
    if (r.io != Io::kOk || r.n == 0 || c.lingered >= limits::kLingerMaxBytes) {
      Close(c.io->fd());
      return false;
    }
  }
  return true;
}

}  // namespace vigil
