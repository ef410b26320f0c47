#include "server/http/wire.h"

#include <doctest/doctest.h>

#include <string>

namespace vigil {
namespace {

const WireLimits kLimits;

HeadParse Parse(const std::string& bytes) { return ParseRequestHead(bytes, kLimits); }

const std::string kGet = "GET /health HTTP/1.1\r\nHost: x\r\n";

TEST_CASE("ParseRequestHead: a well-formed head is complete, with its fields in order") {
  const HeadParse p = Parse(
      "POST /v1/events?x=1 HTTP/1.1\r\nHost: vigil.example\r\nAuthorization: Bearer a\r\n"
      "Authorization: Bearer b\r\nContent-Length: 5\r\nX-Empty:\r\n\r\nhello");
  REQUIRE(p.verdict == HeadVerdict::kComplete);
  CHECK(p.head.method == "POST");
  CHECK(p.head.target == "/v1/events?x=1");
  CHECK(p.head.authority.empty());
  CHECK(p.head.minor_version == 1);
  CHECK(p.head.framing == BodyFraming::kLength);
  CHECK(p.head.content_length == 5);
  CHECK(p.head.keep_alive);
  CHECK_FALSE(p.head.expect_continue);
  REQUIRE(p.head.fields.size() == 5);
  CHECK(*p.head.Find("authorization") == "Bearer a");  // a repeated field: the first
  CHECK(*p.head.Find("x-empty") == "");
  CHECK(p.head.Find("cookie") == nullptr);
  CHECK(std::string("hello") ==
        std::string("POST /v1/events?x=1 HTTP/1.1\r\nHost: vigil.example\r\nAuthorization: "
                    "Bearer a\r\nAuthorization: Bearer b\r\nContent-Length: 5\r\nX-Empty:\r\n\r\n"
                    "hello")
            .substr(p.head.head_bytes));
}

TEST_CASE("ParseRequestHead: waits for the rest of a head that is fine so far") {
  for (const std::string& partial :
       {std::string(), std::string("GET"), std::string("GET /health HTTP/1.1\r"), kGet,
        kGet + "X-A: b", kGet + "X-A: b\r\n\r"}) {
    CAPTURE(partial);
    CHECK(Parse(partial).verdict == HeadVerdict::kIncomplete);
  }
}

TEST_CASE("ParseRequestHead: framing a peer could read differently is refused with 400") {
  struct Case {
    const char* name;
    std::string head;
  };
  const std::string post = "POST /events HTTP/1.1\r\nHost: x\r\n";
  const Case cases[] = {
      {"CL with TE", post + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"},
      {"TE with CL", post + "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"},
      {"two differing CL lines", post + "Content-Length: 5\r\nContent-Length: 6\r\n\r\n"},
      {"a CL list that differs", post + "Content-Length: 5, 6\r\n\r\n"},
      {"CL with a sign", post + "Content-Length: +5\r\n\r\n"},
      {"CL negative", post + "Content-Length: -1\r\n\r\n"},
      {"CL in hex", post + "Content-Length: 0x10\r\n\r\n"},
      {"CL with trailing junk", post + "Content-Length: 5abc\r\n\r\n"},
      {"CL empty", post + "Content-Length: \r\n\r\n"},
      {"CL past 64 bits", post + "Content-Length: 99999999999999999999\r\n\r\n"},
      {"TE gzip", post + "Transfer-Encoding: gzip\r\n\r\n"},
      {"TE gzip, chunked", post + "Transfer-Encoding: gzip, chunked\r\n\r\n"},
      {"TE chunked twice",
       post + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"},
      {"TE with junk", post + "Transfer-Encoding: xchunked\r\n\r\n"},
      {"TE in HTTP/1.0", "POST /events HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"},
      {"obs-fold", kGet + "X-A: b\r\n  continued\r\n\r\n"},
      {"space before the colon", kGet + "Content-Length : 5\r\n\r\n"},
      {"tab before the colon", kGet + "X-A\t: b\r\n\r\n"},
      {"NUL in a value", kGet + std::string("X-A: b\0c\r\n\r\n", 13)},
      {"CR in a value", kGet + "X-A: b\rc\r\n\r\n"},
      {"control byte in a value", kGet + "X-A: b\x01\r\n\r\n"},
      {"missing Host", "GET / HTTP/1.1\r\nX-A: b\r\n\r\n"},
      {"two Hosts", kGet + "Host: y\r\n\r\n"},
      {"bare LF line ends", "GET / HTTP/1.1\nHost: x\n\n"},
      {"bare LF in the middle", kGet + "X-A: b\nX-B: c\r\n\r\n"},
      {"no colon", kGet + "X-A b\r\n\r\n"},
      {"empty field name", kGet + ": b\r\n\r\n"},
      {"non-token field name", kGet + "X(A): b\r\n\r\n"},
      {"two spaces in the request line", "GET  / HTTP/1.1\r\nHost: x\r\n\r\n"},
      {"no version", "GET /\r\nHost: x\r\n\r\n"},
      {"lower-case version", "GET / http/1.1\r\nHost: x\r\n\r\n"},
      {"space in the target", "GET /a b HTTP/1.1\r\nHost: x\r\n\r\n"},
      {"non-ASCII target", "GET /\xc3\xa9 HTTP/1.1\r\nHost: x\r\n\r\n"},
      {"relative target", "GET health HTTP/1.1\r\nHost: x\r\n\r\n"},
      {"asterisk for GET", "GET * HTTP/1.1\r\nHost: x\r\n\r\n"},
      {"authority-form", "CONNECT vigil.example:443 HTTP/1.1\r\nHost: x\r\n\r\n"},
      {"userinfo in absolute-form", "GET http://u@vigil.example/ HTTP/1.1\r\nHost: x\r\n\r\n"},
      {"other scheme", "GET ftp://vigil.example/ HTTP/1.1\r\nHost: x\r\n\r\n"},
      {"bad method", "G(T / HTTP/1.1\r\nHost: x\r\n\r\n"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    const HeadParse p = Parse(c.head);
    CHECK(p.verdict == HeadVerdict::kRefused);
    CHECK(p.http_status == 400);
    CHECK_FALSE(p.message.empty());
  }
}

TEST_CASE("ParseRequestHead: a wrong line refuses a head before it ends") {
  CHECK(Parse(kGet + "X-A : b\r\n").verdict == HeadVerdict::kRefused);
  CHECK(Parse("GET / HTTP/1.1\nHost").verdict == HeadVerdict::kRefused);
  CHECK(Parse("GET / HTTP/1.1 extra\r\n").verdict == HeadVerdict::kRefused);
  CHECK(Parse(std::string("GET /\0", 6)).verdict == HeadVerdict::kRefused);
}

TEST_CASE("ParseRequestHead: limits answer 414, 431, and 400 past 100 fields") {
  const std::string long_target = "/" + std::string(kLimits.max_target_bytes + 100, 'a');
  CHECK(Parse("GET " + long_target + " HTTP/1.1\r\nHost: x\r\n\r\n").http_status == 414);
  CHECK(Parse("GET " + long_target).http_status == 414);  // before the line ends
  std::string big = kGet;
  while (big.size() < kLimits.max_head_bytes) big += "X-Pad: " + std::string(200, 'p') + "\r\n";
  CHECK(Parse(big).http_status == 431);
  CHECK(Parse(big + "\r\n").http_status == 431);
  std::string many = kGet;
  for (size_t i = 0; i < kLimits.max_header_fields; ++i) many += "X-F: v\r\n";
  CHECK(Parse(many + "\r\n").http_status == 400);  // more than 100 fields
  // Exactly at the limit: Host plus 99 more.
  std::string at_limit = kGet;
  for (size_t i = 1; i < kLimits.max_header_fields; ++i) at_limit += "X-F: v\r\n";
  CHECK(Parse(at_limit + "\r\n").verdict == HeadVerdict::kComplete);
}

TEST_CASE("ParseRequestHead: versions") {
  CHECK(Parse("GET / HTTP/2.0\r\nHost: x\r\n\r\n").http_status == 505);
  CHECK(Parse("GET / HTTP/0.9\r\nHost: x\r\n\r\n").http_status == 505);
  const HeadParse old = Parse("GET / HTTP/1.0\r\n\r\n");  // no Host needed
  REQUIRE(old.verdict == HeadVerdict::kComplete);
  CHECK(old.head.minor_version == 0);
  CHECK_FALSE(old.head.keep_alive);
  const HeadParse ka = Parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  CHECK(ka.head.keep_alive);
  const HeadParse newer = Parse("GET / HTTP/1.7\r\nHost: x\r\n\r\n");
  REQUIRE(newer.verdict == HeadVerdict::kComplete);
  CHECK(newer.head.minor_version == 1);
}

TEST_CASE("ParseRequestHead: Connection, Expect and leading empty lines") {
  const HeadParse close = Parse(kGet + "Connection: keep-alive, Close\r\n\r\n");
  CHECK_FALSE(close.head.keep_alive);
  const HeadParse expect = Parse(
      "POST /events HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\nExpect: 100-Continue\r\n\r\n");
  REQUIRE(expect.verdict == HeadVerdict::kComplete);
  CHECK(expect.head.expect_continue);
  CHECK_FALSE(Parse("POST / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n").head.expect_continue);
  CHECK(Parse("\r\n" + kGet + "\r\n").verdict == HeadVerdict::kComplete);
  CHECK(Parse("\r\n\r\n\r\n" + kGet + "\r\n").verdict == HeadVerdict::kRefused);
}

TEST_CASE("ParseRequestHead: identical Content-Length values are one length") {
  const std::string post = "POST /events HTTP/1.1\r\nHost: x\r\n";
  for (const std::string& cl :
       {std::string("Content-Length: 007\r\n"), std::string("Content-Length: 7, 7\r\n"),
        std::string("Content-Length: 7\r\ncontent-length: 7\r\n")}) {
    CAPTURE(cl);
    const HeadParse p = Parse(post + cl + "\r\n");
    REQUIRE(p.verdict == HeadVerdict::kComplete);
    CHECK(p.head.content_length == 7);
  }
  const HeadParse chunked = Parse(post + "Transfer-Encoding: Chunked\r\n\r\n");
  REQUIRE(chunked.verdict == HeadVerdict::kComplete);
  CHECK(chunked.head.framing == BodyFraming::kChunked);
  CHECK(Parse(kGet + "\r\n").head.framing == BodyFraming::kNone);
}

TEST_CASE("ParseRequestHead: absolute-form and asterisk-form targets") {
  const HeadParse abs = Parse("GET http://Vigil.example:8080/v1/x?y=1 HTTP/1.1\r\nHost: z\r\n\r\n");
  REQUIRE(abs.verdict == HeadVerdict::kComplete);
  CHECK(abs.head.target == "/v1/x?y=1");
  CHECK(abs.head.authority == "Vigil.example:8080");
  const HeadParse bare = Parse("GET https://vigil.example?q HTTP/1.1\r\nHost: z\r\n\r\n");
  REQUIRE(bare.verdict == HeadVerdict::kComplete);
  CHECK(bare.head.target == "/?q");
  const HeadParse star = Parse("OPTIONS * HTTP/1.1\r\nHost: z\r\n\r\n");
  REQUIRE(star.verdict == HeadVerdict::kComplete);
  CHECK(star.head.target == "*");
}

// Feeds `wire` to a decoder in pieces of `step` bytes.
struct Decoded {
  ChunkedDecoder::State state;
  std::string body;
  size_t used = 0;  // bytes of `wire` consumed in all
};
Decoded Decode(const std::string& wire, size_t step, uint64_t max = 1 << 20) {
  ChunkedDecoder d(max, kLimits);
  Decoded out{ChunkedDecoder::State::kNeedMore, "", 0};
  while (out.used < wire.size() || step == 0) {
    const size_t n = step == 0 ? wire.size() : std::min(step, wire.size() - out.used);
    size_t used = 0;
    out.state = d.Feed(std::string_view(wire).substr(out.used, n), &used, &out.body);
    out.used += used;
    if (out.state != ChunkedDecoder::State::kNeedMore || step == 0) break;
  }
  return out;
}

TEST_CASE("ChunkedDecoder: decodes whatever the pieces the bytes arrive in") {
  const std::string wire =
      "5\r\nhello\r\n6;name=value\r\n world\r\nA \r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\nNEXT";
  for (size_t step : {size_t{0}, size_t{1}, size_t{2}, size_t{7}}) {
    CAPTURE(step);
    const Decoded d = Decode(wire, step);
    CHECK(d.state == ChunkedDecoder::State::kDone);
    CHECK(d.body == "hello world0123456789");
    CHECK(wire.substr(d.used) == "NEXT");  // the next pipelined request is left alone
  }
  const Decoded empty = Decode("0\r\n\r\n", 1);
  CHECK(empty.state == ChunkedDecoder::State::kDone);
  CHECK(empty.body.empty());
  CHECK(Decode("5\r\nhel", 0).state == ChunkedDecoder::State::kNeedMore);
}

TEST_CASE("ChunkedDecoder: malformed framing is refused, a body past the limit is too large") {
  const char* bad[] = {
      "+5\r\nhello\r\n0\r\n\r\n",
      "0x5\r\nhello\r\n0\r\n\r\n",
      "-1\r\n",
      "5\r\nhello!\r\n0\r\n\r\n",
      "5\nhello\n0\n\n",
      "5\r\nhelloXY0\r\n\r\n",
      "\r\n",
      "g\r\n",
      "5 junk\r\nhello\r\n0\r\n\r\n",
      "11111111111111111\r\n",
      "0\r\nBad Trailer: x\r\n\r\n",
      "0\r\nX: a\r\n b\r\n\r\n",
      "5;ext=\x01\r\nhello\r\n0\r\n\r\n",
  };
  for (const char* wire : bad) {
    CAPTURE(wire);
    CHECK(Decode(wire, 0).state == ChunkedDecoder::State::kRefused);
    CHECK(Decode(wire, 1).state == ChunkedDecoder::State::kRefused);
  }
  CHECK(Decode("5\r\nhello\r\n6\r\n", 0, 10).state == ChunkedDecoder::State::kTooLarge);
  CHECK(Decode("5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n", 0, 10).state ==
        ChunkedDecoder::State::kDone);
  CHECK(Decode("ffffffffffffffff\r\n", 0).state == ChunkedDecoder::State::kTooLarge);
  CHECK(Decode(std::string(kLimits.max_chunk_line_bytes + 1, '1'), 0).state ==
        ChunkedDecoder::State::kRefused);
}

}  // namespace
}  // namespace vigil
