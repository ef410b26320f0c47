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

}  // namespace
}  // namespace vigil
