#include "server/http/server.h"

#include <doctest/doctest.h>

#include <string>

namespace vigil {
namespace {

constexpr size_t kHead = 1024;
constexpr size_t kGate = 64;
constexpr uint64_t kMaxBody = 10000;

HeadState Classify(const std::string& bytes) {
  return ClassifyRequestHead(bytes, kHead, kGate, kMaxBody);
}

TEST_CASE(
    "ClassifyRequestHead: a worker takes a request only once its head and body start are in") {
  struct Case {
    const char* name;
    std::string bytes;
    HeadState want;
  };
  const std::string head = "POST /events HTTP/1.1\r\nHost: x\r\n";
  const Case cases[] = {
      {"nothing yet", "", HeadState::kIncomplete},
      {"request line only", "GET /health HTTP/1.1\r\n", HeadState::kIncomplete},
      {"headers dribbling", "GET /health HTTP/1.1\r\nHost: x\r\nX-A: b", HeadState::kIncomplete},
      {"complete GET", "GET /health HTTP/1.1\r\nHost: x\r\n\r\n", HeadState::kReady},
      {"bare LF before the blank line", "GET / HTTP/1.1\nHost: x\n\r\n", HeadState::kReady},
      {"body not yet there", head + "Content-Length: 10\r\n\r\n", HeadState::kIncomplete},
      {"body partly there", head + "Content-Length: 10\r\n\r\n12345", HeadState::kIncomplete},
      {"whole small body", head + "Content-Length: 10\r\n\r\n1234567890", HeadState::kReady},
      {"header name in any case", head + "content-LENGTH:  10 \r\n\r\n12", HeadState::kIncomplete},
      {"large body: the gate's worth is enough",
       head + "Content-Length: 5000\r\n\r\n" + std::string(kGate, 'x'), HeadState::kReady},
      {"large body under the gate",
       head + "Content-Length: 5000\r\n\r\n" + std::string(kGate - 1, 'x'), HeadState::kIncomplete},
      {"body over the limit is refused from the head", head + "Content-Length: 10001\r\n\r\n",
       HeadState::kReady},
      {"absurd length is refused from the head",
       head + "Content-Length: 99999999999999999999\r\n\r\n", HeadState::kReady},
      {"zero length", head + "Content-Length: 0\r\n\r\n", HeadState::kReady},
      {"chunked: no length to wait for", head + "Transfer-Encoding: chunked\r\n\r\n",
       HeadState::kReady},
      {"Expect: the client waits for us",
       head + "Content-Length: 10\r\nExpect: 100-continue\r\n\r\n", HeadState::kReady},
      {"malformed length counts as none", head + "Content-Length: abc\r\n\r\n", HeadState::kReady},
      {"head too large", "GET /" + std::string(kHead, 'a'), HeadState::kTooLarge},
      {"complete but too large", "GET /" + std::string(kHead, 'a') + " HTTP/1.1\r\n\r\n",
       HeadState::kTooLarge},
      {"binary garbage", std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11),
       HeadState::kIncomplete},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    CHECK(Classify(c.bytes) == c.want);
  }
}

}  // namespace
}  // namespace vigil
