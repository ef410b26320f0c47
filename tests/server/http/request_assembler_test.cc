#include "server/http/request_assembler.h"

#include <doctest/doctest.h>

namespace vigil {
namespace {

using Phase = RequestAssembler::Phase;

TEST_CASE("pipelined requests are read one after another, in order, none dropped") {
  RequestAssembler r(WireLimits{}, 1024);
  r.Received(
      "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
      "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
      "GET /c HTTP/1.1\r\nHost: x\r\n\r\n");
  std::vector<std::string> seen;
  while (r.Advance() == Phase::kChecks) {
    CHECK(r.BodyBuffered());
    const std::string target = r.head().target;
    r.AcceptBody();
    REQUIRE(r.Advance() == Phase::kDone);
    seen.push_back(target + ":" + r.TakeBody());
    r.Next();
  }
  CHECK(seen == std::vector<std::string>{"/a:", "/b:hello", "/c:"});
  CHECK(r.buffered() == 0);
}

TEST_CASE("a head and a body that arrive a byte at a time") {
  RequestAssembler r(WireLimits{}, 1024);
  const std::string head = "POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n";
  for (size_t i = 0; i + 1 < head.size(); ++i) {
    r.Received(head.substr(i, 1));
    REQUIRE(r.Advance() == Phase::kHead);
  }
  r.Received(head.substr(head.size() - 1));
  REQUIRE(r.Advance() == Phase::kChecks);
  CHECK_FALSE(r.BodyBuffered());
  r.AcceptBody();
  CHECK(r.phase() == Phase::kBody);
  r.Received("ab");
  CHECK(r.Advance() == Phase::kBody);
  CHECK(r.body_received() == 2);
  r.Received("cGET");  // the start of the next request stays buffered
  CHECK(r.Advance() == Phase::kDone);
  CHECK(r.TakeBody() == "abc");
  r.Next();
  CHECK(r.buffered() == 3);
  CHECK(r.Advance() == Phase::kHead);
}

TEST_CASE("a chunked body is decoded, and counts as buffered only once it has ended") {
  RequestAssembler r(WireLimits{}, 1024);
  r.Received("POST /e HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n");
  REQUIRE(r.Advance() == Phase::kChecks);
  CHECK_FALSE(r.BodyBuffered());
  r.AcceptBody();
  CHECK(r.Advance() == Phase::kBody);
  r.Received("2\r\nde\r\n0\r\n\r\n");
  CHECK(r.Advance() == Phase::kDone);
  CHECK(r.TakeBody() == "abcde");
}

TEST_CASE("a body over the limit is refused 413, declared or chunked") {
  RequestAssembler declared(WireLimits{}, 4);
  declared.Received("POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n");
  REQUIRE(declared.Advance() == Phase::kChecks);
  declared.AcceptBody();
  CHECK(declared.phase() == Phase::kRefused);
  CHECK(declared.refusal_status() == 413);

  RequestAssembler chunked(WireLimits{}, 4);
  chunked.Received("POST /e HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde");
  REQUIRE(chunked.Advance() == Phase::kChecks);
  chunked.AcceptBody();
  CHECK(chunked.phase() == Phase::kRefused);
  CHECK(chunked.refusal_status() == 413);
}

TEST_CASE("a head the parser refuses ends the connection with its status") {
  RequestAssembler r(WireLimits{}, 1024);
  r.Received("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n");
  CHECK(r.Advance() == Phase::kRefused);
  CHECK(r.refusal_status() == 400);
}

TEST_CASE("a head fed a byte at a time gets the parser's verdict on every prefix, at once") {
  // The assembler skips parses that cannot change the verdict: it must still refuse or complete
  // at exactly the byte where parsing the whole prefix would.
  WireLimits limits;
  limits.max_head_bytes = 300;
  limits.max_target_bytes = 100;
  limits.max_header_fields = 4;
  const std::string long_field = "X-Long: " + std::string(400, 'v') + "\r\n";
  const std::vector<std::string> heads = {
      "GET /a HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n\r\n",
      "\r\nGET /" + std::string(300, 't') + " HTTP/1.1\r\n",  // 414 before the line ends
      "GET / HTTP/1.1\r\nHost: x\r\n" + long_field,           // 431 within a field
      "GET / HTTP/1.1\r\nHost: x\r\nX-B: a" + std::string(1, '\0') + "b\r\n",  // NUL
      "GET / HTTP/1.1\r\nHost: x\nX: y\r\n\r\n",                               // a bare LF
      "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\n\r\n",        // too many fields
      "GET / HTTP/1.1\r\nHost: x\r\nX-C: " + std::string(200, 'c') + "\r\n\r\n",
  };
  for (const std::string& head : heads) {
    CAPTURE(head);
    RequestAssembler r(limits, 1024);
    for (size_t i = 1; i <= head.size(); ++i) {
      CAPTURE(i);
      r.Received(head.substr(i - 1, 1));
      const HeadParse want = ParseRequestHead(std::string_view(head).substr(0, i), limits);
      const Phase got = r.Advance();
      if (want.verdict == HeadVerdict::kIncomplete) {
        REQUIRE(got == Phase::kHead);
        continue;
      }
      REQUIRE(got == (want.verdict == HeadVerdict::kComplete ? Phase::kChecks : Phase::kRefused));
      if (got == Phase::kRefused) CHECK(r.refusal_status() == want.http_status);
      break;
    }
    CHECK(r.phase() != Phase::kHead);
  }
}

}  // namespace
}  // namespace vigil
