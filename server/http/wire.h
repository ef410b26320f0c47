// Strict HTTP/1.1 request framing (RFC 9112): the request head and chunked bodies, parsed from
// bytes with no I/O. The front (server/http/front.h) feeds it what a connection has sent and acts
// on the verdict; nothing here knows sockets, threads or routes.
//
// Strict means that anything a peer could read differently from us is refused rather than
// guessed at: two framings (Content-Length with Transfer-Encoding), two lengths, a length with a
// sign, hex or junk, a Transfer-Encoding other than `chunked` alone, obs-fold, whitespace before a
// colon, NUL/CR/LF inside a value, bare-LF line ends, a missing Host on HTTP/1.1, more than
// WireLimits::max_header_fields fields. Such a request is answered 400 and its connection closed,
// because after a framing error the next request's start is unknown (request smuggling).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace vigil {

struct WireLimits {
  size_t max_head_bytes = 16 * 1024;    // request line + fields + blank line; past it: 431
  size_t max_target_bytes = 8 * 1024;   // the request target; past it: 414
  size_t max_header_fields = 100;       // past it: 400 (a malformed request, not a large one)
  size_t max_trailer_bytes = 4 * 1024;  // a chunked body's trailer section; past it: 400
  size_t max_chunk_line_bytes = 1024;   // chunk size + extensions; past it: 400
};

// ASCII case-insensitive equality, for field names, tokens and host names (RFC 9110 compares
// them without regard to case).
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

struct HeaderField {
  std::string name;   // as sent (compare case-insensitively)
  std::string value;  // leading and trailing spaces/tabs removed
};

enum class BodyFraming { kNone, kLength, kChunked };

struct RequestHead {
  std::string method;               // a token, case as sent (methods are case-sensitive)
  std::string target;               // origin-form: "/path?query"; absolute-form is reduced to it
  std::string authority;            // the authority of an absolute-form target, else ""
  int minor_version = 1;            // HTTP/1.<minor>: 0 or 1
  std::vector<HeaderField> fields;  // in order, repeats kept
  BodyFraming framing = BodyFraming::kNone;
  uint64_t content_length = 0;   // kLength only
  bool expect_continue = false;  // `Expect: 100-continue` (HTTP/1.1 only)
  bool keep_alive = true;        // by version and the Connection field
  size_t head_bytes = 0;         // bytes the head took, its final CRLF included

  // The first field named `name` (case-insensitive), or nullptr. A repeated Authorization uses
  // the first, as every field read this way does.
  const std::string* Find(std::string_view name) const;
};

enum class HeadVerdict {
  kIncomplete,  // no blank line yet, and under every limit: wait for more bytes
  kComplete,    // `head` is valid
  kRefused,     // answer `http_status` and close the connection
};

struct HeadParse {
  HeadVerdict verdict = HeadVerdict::kIncomplete;
  RequestHead head;     // kComplete only
  int http_status = 0;  // kRefused: 400, 414, 431, or 505 (a major version other than 1)
  std::string message;  // kRefused: a short reason, safe to send to the client
};

// Parses the request head at the start of `bytes` (which may hold more: body, later requests).
// Pure and total: any bytes in, one verdict out. An incomplete head is refused as soon as what
// has arrived is already wrong (a bad line, a bare LF, over a limit), without waiting for the
// rest. Cost is linear in the bytes given; a caller that re-parses as bytes arrive should do so
// when a line has ended, not on every byte.
HeadParse ParseRequestHead(std::string_view bytes, const WireLimits& limits);

// Whether ParseRequestHead could judge `bytes` differently from its first `seen` bytes, which it
// found incomplete: only a line's end, a NUL or growth past a size limit can change that verdict.
bool HeadVerdictMayChange(std::string_view bytes, size_t seen, const WireLimits& limits);

// Decodes a chunked body (RFC 9112 §7.1) as its bytes arrive. Chunk extensions are skipped;
// trailer fields are checked like header fields and then dropped.
class ChunkedDecoder {
 public:
  enum class State {
    kNeedMore,  // all of `in` was consumed; feed more
    kDone,      // the body and its trailers ended; `*used` says where the next request starts
    kRefused,   // malformed framing: answer 400 and close
    kTooLarge,  // the decoded body would pass `max_body_bytes`: answer 413 and close
  };
  ChunkedDecoder(uint64_t max_body_bytes, const WireLimits& limits);
  // Consumes a prefix of `in` (its length in `*used`), appending decoded data to `*out`; with
  // `out` null the framing is checked and the data skipped (to learn whether a body is whole).
  State Feed(std::string_view in, size_t* used, std::string* out);

 private:
  enum class Step { kSizeLine, kData, kDataEnd, kTrailer, kDone, kFailed };
  enum class LineState { kPartial, kWhole, kBad };
  static bool ParseSizeLine(std::string_view line, uint64_t* size);
  LineState GatherLine(std::string_view in, size_t* pos, size_t max_bytes);
  State Fail(State why);

  uint64_t max_body_bytes_;
  WireLimits limits_;
  Step step_ = Step::kSizeLine;
  std::string line_;         // a size, chunk-end or trailer line being gathered
  uint64_t chunk_left_ = 0;  // data bytes left in the current chunk
  uint64_t decoded_ = 0;     // body bytes so far
  size_t trailer_bytes_ = 0;
  size_t trailer_fields_ = 0;
};

}  // namespace vigil
