#include "server/http/request_assembler.h"

#include <algorithm>

namespace vigil {

RequestAssembler::RequestAssembler(const WireLimits& limits, uint64_t max_body_bytes)
    : limits_(limits), max_body_bytes_(max_body_bytes) {}

RequestAssembler::Phase RequestAssembler::Refuse(int status, std::string message) {
  refusal_status_ = status;
  refusal_message_ = std::move(message);
  phase_ = Phase::kRefused;
  return phase_;
}

RequestAssembler::Phase RequestAssembler::Advance() {
  if (phase_ == Phase::kHead) {
    if (buffered() == 0) return phase_;
    const std::string_view pending = std::string_view(in_).substr(consumed_);
    if (!HeadVerdictMayChange(pending, head_seen_, limits_)) return phase_;
    HeadParse p = ParseRequestHead(pending, limits_);
    if (p.verdict == HeadVerdict::kIncomplete) {
      head_seen_ = pending.size();
      return phase_;
    }
    head_seen_ = 0;
    if (p.verdict == HeadVerdict::kRefused) return Refuse(p.http_status, std::move(p.message));
    consumed_ += p.head.head_bytes;
    head_ = std::move(p.head);
    phase_ = Phase::kChecks;
    return phase_;
  }
  if (phase_ == Phase::kBody) AdvanceBody();
  return phase_;
}

bool RequestAssembler::BodyBuffered() const {
  switch (head_->framing) {
    case BodyFraming::kNone:
      return true;
    case BodyFraming::kLength:
      return buffered() >= head_->content_length;
    case BodyFraming::kChunked: {
      // A whole chunked body ends with a last chunk and the trailer section: its framing is
      // read through without copying the data.
      ChunkedDecoder probe(max_body_bytes_, limits_);
      size_t used = 0;
      return probe.Feed(std::string_view(in_).substr(consumed_), &used, nullptr) !=
             ChunkedDecoder::State::kNeedMore;
    }
  }
  return false;
}

void RequestAssembler::AcceptBody() {
  phase_ = Phase::kBody;
  if (head_->framing == BodyFraming::kLength) {
    if (head_->content_length > max_body_bytes_) {
      Refuse(413, "request body too large");
      return;
    }
    body_.reserve(static_cast<size_t>(head_->content_length));
  } else if (head_->framing == BodyFraming::kChunked) {
    chunked_.emplace(max_body_bytes_, limits_);
  }
  AdvanceBody();
}

void RequestAssembler::AdvanceBody() {
  const std::string_view avail = std::string_view(in_).substr(consumed_);
  if (head_->framing == BodyFraming::kNone) {
    phase_ = Phase::kDone;
  } else if (head_->framing == BodyFraming::kLength) {
    const size_t n =
        static_cast<size_t>(std::min<uint64_t>(head_->content_length - body_.size(), avail.size()));
    body_.append(avail.substr(0, n));
    consumed_ += n;
    if (body_.size() == head_->content_length) phase_ = Phase::kDone;
  } else {
    size_t used = 0;
    const ChunkedDecoder::State s = chunked_->Feed(avail, &used, &body_);
    consumed_ += used;
    if (s == ChunkedDecoder::State::kDone) phase_ = Phase::kDone;
    if (s == ChunkedDecoder::State::kRefused) Refuse(400, "malformed chunked body");
    if (s == ChunkedDecoder::State::kTooLarge) Refuse(413, "request body too large");
  }
  Compact();
}

void RequestAssembler::Next() {
  head_.reset();
  chunked_.reset();
  body_.clear();
  body_.shrink_to_fit();
  phase_ = Phase::kHead;
  Compact();
}

void RequestAssembler::Compact() {
  // Consumed bytes are dropped once they are most of the buffer, so a long body read in pieces
  // never keeps its raw bytes twice and a pipeline of small requests is not copied per request.
  if (consumed_ == 0 || consumed_ < in_.size() / 2) return;
  in_.erase(0, consumed_);
  consumed_ = 0;
}

}  // namespace vigil
