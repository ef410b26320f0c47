// One connection's requests, assembled from the bytes it sends: the head (server/http/wire.h),
// then, once the caller has checked the head and accepted the body, the body (Content-Length or
// chunked). No I/O, no clock: the front (server/http/front.h) feeds it what it reads and acts on
// its phase, so the whole sequence is testable from strings.
//
// Bytes that arrive past the current request (pipelining) stay buffered and become the next
// request after Next(): every pipelined request is read, in order.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "server/http/wire.h"

namespace vigil {

class RequestAssembler {
 public:
  enum class Phase {
    kHead,     // waiting for the rest of a head (or for any byte of the next request)
    kChecks,   // the head is complete: the caller checks it, then AcceptBody() or drops the
               // connection
    kBody,     // reading the body
    kDone,     // the request is whole: TakeBody(), then Next()
    kRefused,  // answer refusal_status() and close; the connection's framing is lost
  };

  RequestAssembler(const WireLimits& limits, uint64_t max_body_bytes);

  void Received(std::string_view bytes) { in_.append(bytes); }
  // Moves on as far as the buffered bytes allow and returns the phase reached.
  Phase Advance();
  Phase phase() const { return phase_; }

  const RequestHead& head() const { return *head_; }
  // kChecks: true when the whole body (or no body) is already buffered, so the request can be
  // dispatched without waiting for another byte.
  bool BodyBuffered() const;
  // kChecks -> kBody (or kDone when there is no body).
  void AcceptBody();
  // kDone: the decoded body.
  std::string TakeBody() { return std::move(body_); }
  // kDone -> kHead: forgets the request; bytes after it stay for the next one.
  void Next();

  int refusal_status() const { return refusal_status_; }
  const std::string& refusal_message() const { return refusal_message_; }
  // Body bytes received so far for the current request (decoded).
  uint64_t body_received() const { return body_.size(); }
  // Bytes buffered and not yet consumed (the start of a head, or pipelined requests).
  size_t buffered() const { return in_.size() - consumed_; }

 private:
  Phase Refuse(int status, std::string message);
  void AdvanceBody();
  void Compact();

  WireLimits limits_;
  uint64_t max_body_bytes_;
  Phase phase_ = Phase::kHead;
  std::string in_;
  size_t consumed_ = 0;  // bytes of in_ already taken by the current request
  // kHead: how much of the pending head the last parse found incomplete. A head is parsed again
  // only when its verdict may have changed, so one sent a byte at a time costs time linear in its
  // size, not quadratic, on the loop every connection shares.
  size_t head_seen_ = 0;
  std::optional<RequestHead> head_;
  std::optional<ChunkedDecoder> chunked_;
  std::string body_;
  int refusal_status_ = 0;
  std::string refusal_message_;
};

}  // namespace vigil
