#include "server/http/message.h"

#include <doctest/doctest.h>

namespace vigil {
namespace {

TEST_CASE("a query string is split into decoded pairs, in order, repeats kept") {
  httplib::Params params;
  ParseQuery("a=1&b=x%20y&c=p+q&&d&a=2&e=%zz", &params);
  CHECK(params.count("a") == 2);
  auto a = params.equal_range("a");
  CHECK(a.first->second == "1");
  CHECK(std::next(a.first)->second == "2");
  CHECK(params.find("b")->second == "x y");
  CHECK(params.find("c")->second == "p q");
  CHECK(params.find("d")->second == "");
  CHECK(params.find("e")->second == "%zz");  // a malformed escape stays as sent
  CHECK(params.size() == 6);
}

TEST_CASE("percent-decoding keeps '+' in paths and decodes it in queries") {
  CHECK(PercentDecode("/a+b/%41%2f", false) == "/a+b/A/");
  CHECK(PercentDecode("a+b", true) == "a b");
  CHECK(PercentDecode("%4", false) == "%4");
  CHECK(PercentDecode("%", true) == "%");
}

TEST_CASE("a request is filled from its head: path decoded, params, headers, version") {
  RequestHead head;
  head.method = "GET";
  head.target = "/executions/a%20b?limit=5&q=x+y";
  head.minor_version = 0;
  head.fields = {{"Host", "h"}, {"X-Two", "1"}, {"x-two", "2"}};
  httplib::Request req;
  FillRequest(head, &req);
  CHECK(req.method == "GET");
  CHECK(req.target == "/executions/a%20b?limit=5&q=x+y");
  CHECK(req.path == "/executions/a b");
  CHECK(req.version == "HTTP/1.0");
  CHECK(req.get_param_value("limit") == "5");
  CHECK(req.get_param_value("q") == "x y");
  CHECK(req.get_header_value("host") == "h");
  CHECK(req.get_header_value_count("X-Two") == 2);
}

TEST_CASE("the response head carries the framing the front decides, not the handler's") {
  httplib::Response res;
  res.status = 200;
  res.set_content("{}", "application/json");
  res.set_header("Connection", "keep-alive");
  res.set_header("Content-Length", "999");
  ResponseFraming framing;
  framing.close = true;
  const std::string head =
      SerializeResponseHead(res, framing, {{"X-Content-Type-Options", "nosniff"}});
  CHECK(head.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(head.find("Content-Length: 2\r\n") != std::string::npos);
  CHECK(head.find("999") == std::string::npos);
  CHECK(head.find("Connection: close\r\n") != std::string::npos);
  CHECK(head.find("keep-alive") == std::string::npos);
  CHECK(head.find("X-Content-Type-Options: nosniff\r\n") != std::string::npos);
  CHECK(head.size() >= 4);
  CHECK(head.substr(head.size() - 4) == "\r\n\r\n");
}

TEST_CASE("a default header yields to the response's own, and 204 has no length") {
  httplib::Response res;
  res.status = 204;
  res.set_header("X-Frame-Options", "SAMEORIGIN");
  const std::string head =
      SerializeResponseHead(res, {}, {{"X-Frame-Options", "DENY"}, {"X-Other", "1"}});
  CHECK(head.find("X-Frame-Options: SAMEORIGIN") != std::string::npos);
  CHECK(head.find("DENY") == std::string::npos);
  CHECK(head.find("X-Other: 1") != std::string::npos);
  CHECK(head.find("Content-Length") == std::string::npos);
}

TEST_CASE("a streamed body is chunked on HTTP/1.1 and delimited by the close on HTTP/1.0") {
  httplib::Response res;
  res.status = 200;
  ResponseFraming framing;
  framing.chunked = true;
  CHECK(SerializeResponseHead(res, framing, {}).find("Transfer-Encoding: chunked") !=
        std::string::npos);
  framing.http10 = true;
  framing.close = true;
  const std::string old = SerializeResponseHead(res, framing, {});
  CHECK(old.find("Transfer-Encoding") == std::string::npos);
  CHECK(old.find("Content-Length") == std::string::npos);
}

TEST_CASE("HTTP/1.0 keep-alive is said explicitly") {
  httplib::Response res;
  res.status = 404;
  ResponseFraming framing;
  framing.http10 = true;
  const std::string head = SerializeResponseHead(res, framing, {});
  CHECK(head.rfind("HTTP/1.1 404 Not Found\r\n", 0) == 0);
  CHECK(head.find("Connection: keep-alive\r\n") != std::string::npos);
}

}  // namespace
}  // namespace vigil
