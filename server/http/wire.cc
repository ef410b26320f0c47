#include "server/http/wire.h"

#include <algorithm>
#include <optional>

#include "domain/base64.h"

namespace vigil {
namespace {

// RFC 9110 §5.6.2: the characters of a token (method, field name, transfer coding).
bool IsTchar(unsigned char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

bool IsToken(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(),
                                   [](char c) { return IsTchar(static_cast<unsigned char>(c)); });
}

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Calls `fn` with each trimmed element of a comma-separated list; empty elements are skipped
// (RFC 9110 §5.6.1). Stops early when `fn` returns false.
template <typename Fn>
bool ForEachListElement(std::string_view list, Fn fn) {
  while (true) {
    const size_t comma = list.find(',');
    const std::string_view element = TrimOws(list.substr(0, comma));
    if (!element.empty() && !fn(element)) return false;
    if (comma == std::string_view::npos) return true;
    list.remove_prefix(comma + 1);
  }
}

struct Refusal {
  int status;
  const char* message;
};

// One field line (RFC 9112 §5): a token, a colon with no whitespace before it, then a value of
// visible characters, spaces and tabs (bytes >= 0x80 allowed as obs-text).
bool ParseFieldLine(std::string_view line, std::string_view* name, std::string_view* value) {
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos || !IsToken(line.substr(0, colon))) return false;
  const std::string_view raw = line.substr(colon + 1);
  for (char ch : raw) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
  }
  *name = line.substr(0, colon);
  *value = TrimOws(raw);
  return true;
}

// A target of visible US-ASCII only: anything else would be read differently by different
// parsers (RFC 9112 §3.2 allows no whitespace or control characters in it).
bool VisibleAscii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return c > 0x20 && c < 0x7f;
  });
}

// Reduces an absolute-form target (RFC 9112 §3.2.2) to origin-form and its authority.
bool ReduceAbsoluteForm(std::string_view target, std::string* origin, std::string* authority) {
  const size_t scheme_end = target.find("://");
  if (scheme_end == std::string_view::npos) return false;
  const std::string_view scheme = target.substr(0, scheme_end);
  if (!EqualsIgnoreCase(scheme, "http") && !EqualsIgnoreCase(scheme, "https")) return false;
  std::string_view rest = target.substr(scheme_end + 3);
  const size_t end = rest.find_first_of("/?#");
  const std::string_view auth = rest.substr(0, end);
  if (auth.empty() || auth.find('@') != std::string_view::npos) return false;
  rest.remove_prefix(end == std::string_view::npos ? rest.size() : end);
  if (!rest.empty() && rest.front() == '#') return false;
  *authority = std::string(auth);
  *origin = rest.empty() || rest.front() == '?' ? "/" + std::string(rest) : std::string(rest);
  return true;
}

// The request line: method SP request-target SP HTTP-version, single spaces.
std::optional<Refusal> ParseRequestLine(std::string_view line, const WireLimits& limits,
                                        RequestHead* head) {
  const size_t sp1 = line.find(' ');
  const size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    if (line.size() > limits.max_target_bytes) return Refusal{414, "request target too long"};
    return Refusal{400, "malformed request line"};
  }
  const std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (!IsToken(method)) return Refusal{400, "malformed request method"};
  if (target.size() > limits.max_target_bytes) return Refusal{414, "request target too long"};
  if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || version[6] != '.' ||
      version[5] < '0' || version[5] > '9' || version[7] < '0' || version[7] > '9') {
    return Refusal{400, "malformed HTTP version"};
  }
  if (version[5] != '1') return Refusal{505, "HTTP version not supported"};
  head->minor_version = version[7] == '0' ? 0 : 1;
  if (target.empty() || !VisibleAscii(target)) return Refusal{400, "malformed request target"};
  head->method = std::string(method);
  if (target.front() == '/') {
    head->target = std::string(target);
  } else if (target == "*" && method == "OPTIONS") {
    head->target = "*";
  } else if (!ReduceAbsoluteForm(target, &head->target, &head->authority)) {
    return Refusal{400, "malformed request target"};
  }
  return std::nullopt;
}

// Content-Length: one or more lines, each a list, all of the same decimal number.
std::optional<Refusal> ReadContentLength(const RequestHead& head, uint64_t* length) {
  bool seen = false;
  bool ok = true;
  for (const HeaderField& f : head.fields) {
    if (!EqualsIgnoreCase(f.name, "content-length")) continue;
    bool any = false;
    ok = ok && ForEachListElement(f.value, [&](std::string_view v) {
           any = true;
           if (v.size() > 19 || v.find_first_not_of("0123456789") != std::string_view::npos) {
             return false;
           }
           uint64_t n = 0;
           for (char c : v) n = n * 10 + static_cast<uint64_t>(c - '0');
           if (seen && n != *length) return false;
           seen = true;
           *length = n;
           return true;
         });
    ok = ok && any;
  }
  if (!ok) return Refusal{400, "invalid Content-Length"};
  return std::nullopt;
}

// The framing of the body (RFC 9112 §6.3): Transfer-Encoding must be `chunked` alone, and never
// comes with Content-Length; an HTTP/1.0 request may not use it at all.
std::optional<Refusal> DecideFraming(RequestHead* head) {
  bool has_te = false;
  bool chunked_only = true;
  int codings = 0;
  bool has_cl = false;
  for (const HeaderField& f : head->fields) {
    if (EqualsIgnoreCase(f.name, "content-length")) has_cl = true;
    if (!EqualsIgnoreCase(f.name, "transfer-encoding")) continue;
    has_te = true;
    ForEachListElement(f.value, [&](std::string_view coding) {
      ++codings;
      chunked_only = chunked_only && EqualsIgnoreCase(coding, "chunked");
      return true;
    });
  }
  if (has_te) {
    if (has_cl) return Refusal{400, "Content-Length with Transfer-Encoding"};
    if (head->minor_version == 0) return Refusal{400, "Transfer-Encoding in an HTTP/1.0 request"};
    if (codings != 1 || !chunked_only) {
      return Refusal{400, "Transfer-Encoding other than chunked alone"};
    }
    head->framing = BodyFraming::kChunked;
    return std::nullopt;
  }
  if (!has_cl) return std::nullopt;
  if (auto r = ReadContentLength(*head, &head->content_length)) return r;
  head->framing = BodyFraming::kLength;
  return std::nullopt;
}

// Host (RFC 9112 §3.2: exactly one on HTTP/1.1), Connection and Expect.
std::optional<Refusal> ReadControlFields(RequestHead* head) {
  int hosts = 0;
  bool close = false, keep_alive = false;
  for (const HeaderField& f : head->fields) {
    if (EqualsIgnoreCase(f.name, "host")) {
      ++hosts;
      if (!f.value.empty() && !VisibleAscii(f.value)) return Refusal{400, "invalid Host"};
    } else if (EqualsIgnoreCase(f.name, "connection")) {
      ForEachListElement(f.value, [&](std::string_view option) {
        close = close || EqualsIgnoreCase(option, "close");
        keep_alive = keep_alive || EqualsIgnoreCase(option, "keep-alive");
        return true;
      });
    } else if (EqualsIgnoreCase(f.name, "expect") && head->minor_version == 1) {
      head->expect_continue = head->expect_continue || EqualsIgnoreCase(f.value, "100-continue");
    }
  }
  if (hosts > 1) return Refusal{400, "more than one Host"};
  if (hosts == 0 && head->minor_version == 1) return Refusal{400, "missing Host"};
  // `close` wins wherever it appears; HTTP/1.0 keeps a connection only when asked to.
  head->keep_alive = !close && (head->minor_version == 1 || keep_alive);
  return std::nullopt;
}

HeadParse Refuse(const Refusal& r) {
  HeadParse out;
  out.verdict = HeadVerdict::kRefused;
  out.http_status = r.status;
  out.message = r.message;
  return out;
}

// The most a request line may take before it has ended: its target and a little for the rest.
size_t RequestLineLimit(const WireLimits& limits) { return limits.max_target_bytes + 64; }

// The refusal for a head that has not ended yet, judged by its size alone.
std::optional<Refusal> RefuseByLength(std::string_view bytes, bool request_line_done,
                                      const WireLimits& limits) {
  if (!request_line_done && bytes.size() > RequestLineLimit(limits)) {
    return Refusal{414, "request target too long"};
  }
  if (bytes.size() >= limits.max_head_bytes) return Refusal{431, "request head too large"};
  return std::nullopt;
}

}  // namespace

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

const std::string* RequestHead::Find(std::string_view name) const {
  for (const HeaderField& f : fields) {
    if (EqualsIgnoreCase(f.name, name)) return &f.value;
  }
  return nullptr;
}

HeadParse ParseRequestHead(std::string_view bytes, const WireLimits& limits) {
  HeadParse out;
  RequestHead& head = out.head;
  bool request_line_done = false;
  size_t pos = 0;
  size_t leading_blank_lines = 0;
  for (;;) {
    const size_t nl = bytes.find('\n', pos);
    if (nl == std::string_view::npos) {
      if (auto r = RefuseByLength(bytes, request_line_done, limits)) return Refuse(*r);
      if (bytes.find('\0') != std::string_view::npos) return Refuse({400, "NUL in request head"});
      return out;  // kIncomplete
    }
    if (nl + 1 > limits.max_head_bytes) return Refuse({431, "request head too large"});
    if (nl == pos || bytes[nl - 1] != '\r') return Refuse({400, "line not ended by CRLF"});
    const std::string_view line = bytes.substr(pos, nl - 1 - pos);
    pos = nl + 1;
    if (line.find('\r') != std::string_view::npos || line.find('\0') != std::string_view::npos) {
      return Refuse({400, "CR or NUL inside a line"});
    }
    if (!request_line_done) {
      // RFC 9112 §2.2: an empty line before the request line is ignored (a client's stray CRLF
      // after a previous body); a few at most.
      if (line.empty()) {
        if (++leading_blank_lines > 2) return Refuse({400, "malformed request line"});
        continue;
      }
      if (auto r = ParseRequestLine(line, limits, &head)) return Refuse(*r);
      request_line_done = true;
      continue;
    }
    if (line.empty()) break;  // the end of the head
    if (line.front() == ' ' || line.front() == '\t') return Refuse({400, "obs-fold in a field"});
    std::string_view name, value;
    if (!ParseFieldLine(line, &name, &value)) return Refuse({400, "malformed header field"});
    if (head.fields.size() >= limits.max_header_fields) {
      return Refuse({400, "too many header fields"});
    }
    head.fields.push_back({std::string(name), std::string(value)});
  }
  if (auto r = DecideFraming(&head)) return Refuse(*r);
  if (auto r = ReadControlFields(&head)) return Refuse(*r);
  head.head_bytes = pos;
  out.verdict = HeadVerdict::kComplete;
  return out;
}

bool HeadVerdictMayChange(std::string_view bytes, size_t seen, const WireLimits& limits) {
  if (seen == 0 || seen > bytes.size()) return true;
  if (bytes.substr(seen).find_first_of(std::string_view("\n\0", 2)) != std::string_view::npos) {
    return true;
  }
  const size_t line_limit = RequestLineLimit(limits);
  return bytes.size() >= limits.max_head_bytes || (seen <= line_limit && bytes.size() > line_limit);
}

ChunkedDecoder::ChunkedDecoder(uint64_t max_body_bytes, const WireLimits& limits)
    : max_body_bytes_(max_body_bytes), limits_(limits) {}

// chunk-size [ chunk-ext ] (RFC 9112 §7.1): hex digits only (no sign, no 0x), at most 16 of them;
// extensions are skipped but may hold no control characters.
bool ChunkedDecoder::ParseSizeLine(std::string_view line, uint64_t* size) {
  size_t digits = 0;
  uint64_t n = 0;
  for (; digits < line.size(); ++digits) {
    const int v = HexValue(line[digits]);
    if (v < 0) break;
    if (digits == 16) return false;
    n = (n << 4) | static_cast<uint64_t>(v);
  }
  if (digits == 0) return false;
  const std::string_view ext = TrimOws(line.substr(digits));
  if (!ext.empty() && ext.front() != ';') return false;
  for (char ch : ext) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
  }
  *size = n;
  return true;
}

// Gathers one CRLF-ended line into line_; true once it is whole (CRLF stripped).
ChunkedDecoder::LineState ChunkedDecoder::GatherLine(std::string_view in, size_t* pos,
                                                     size_t max_bytes) {
  const size_t nl = in.find('\n', *pos);
  const size_t end = nl == std::string_view::npos ? in.size() : nl;
  line_.append(in.substr(*pos, end - *pos));
  *pos = nl == std::string_view::npos ? in.size() : nl + 1;
  if (line_.size() > max_bytes) return LineState::kBad;
  if (nl == std::string_view::npos) return LineState::kPartial;
  if (line_.empty() || line_.back() != '\r') return LineState::kBad;  // a bare LF
  line_.pop_back();
  if (line_.find('\r') != std::string::npos) return LineState::kBad;
  return LineState::kWhole;
}

ChunkedDecoder::State ChunkedDecoder::Fail(State why) {
  step_ = Step::kFailed;
  return why;
}

ChunkedDecoder::State ChunkedDecoder::Feed(std::string_view in, size_t* used, std::string* out) {
  size_t pos = 0;
  *used = 0;
  if (step_ == Step::kFailed) return State::kRefused;
  while (step_ != Step::kDone) {
    if (step_ == Step::kData) {
      const size_t take = static_cast<size_t>(std::min<uint64_t>(chunk_left_, in.size() - pos));
      if (out != nullptr) out->append(in.substr(pos, take));
      pos += take;
      chunk_left_ -= take;
      if (chunk_left_ > 0) break;
      step_ = Step::kDataEnd;
      continue;
    }
    if (pos == in.size()) break;
    const bool trailer = step_ == Step::kTrailer;
    const LineState got =
        GatherLine(in, &pos, trailer ? limits_.max_trailer_bytes : limits_.max_chunk_line_bytes);
    if (got == LineState::kBad) return Fail(State::kRefused);
    if (got == LineState::kPartial) break;
    std::string line;
    line.swap(line_);
    if (step_ == Step::kDataEnd) {
      if (!line.empty()) return Fail(State::kRefused);  // chunk data longer than its size
      step_ = Step::kSizeLine;
    } else if (step_ == Step::kSizeLine) {
      uint64_t size = 0;
      if (!ParseSizeLine(line, &size)) return Fail(State::kRefused);
      if (size > max_body_bytes_ - decoded_) return Fail(State::kTooLarge);
      decoded_ += size;
      chunk_left_ = size;
      step_ = size == 0 ? Step::kTrailer : Step::kData;
    } else if (line.empty()) {
      step_ = Step::kDone;
    } else {
      trailer_bytes_ += line.size() + 2;
      std::string_view name, value;
      if (line.front() == ' ' || line.front() == '\t' || !ParseFieldLine(line, &name, &value) ||
          ++trailer_fields_ > limits_.max_header_fields ||
          trailer_bytes_ > limits_.max_trailer_bytes) {
        return Fail(State::kRefused);
      }
    }
  }
  *used = pos;
  return step_ == Step::kDone ? State::kDone : State::kNeedMore;
}

}  // namespace vigil
