#include "server/webhooks/address.h"

#include <doctest/doctest.h>

using namespace vigil;

TEST_CASE("ParseWebhookUrl accepts absolute http(s) URLs") {
  struct Case {
    const char* url;
    const char* scheme;
    const char* host;
    int port;
    const char* path;
  };
  const Case cases[] = {
      {"https://example.com/hook", "https", "example.com", 443, "/hook"},
      {"http://Example.COM", "http", "example.com", 80, "/"},
      {"HTTP://example.com:8080/a/b?x=1&y=2#frag", "http", "example.com", 8080, "/a/b?x=1&y=2"},
      {"https://example.com?x=1", "https", "example.com", 443, "/?x=1"},
      {"http://127.0.0.1:9/x", "http", "127.0.0.1", 9, "/x"},
      {"http://[::1]:8080/x", "http", "::1", 8080, "/x"},
      {"https://[2001:db8::1]/", "https", "2001:db8::1", 443, "/"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.url);
    auto u = ParseWebhookUrl(c.url);
    REQUIRE(u.ok());
    CHECK(u->scheme == c.scheme);
    CHECK(u->host == c.host);
    CHECK(u->port == c.port);
    CHECK(u->path == c.path);
  }
  CHECK(ParseWebhookUrl("http://[::1]:8080/x")->Origin() == "http://[::1]:8080");
  CHECK(ParseWebhookUrl("https://example.com/x")->Origin() == "https://example.com:443");
}

TEST_CASE("ParseWebhookUrl refuses other schemes and malformed URLs with the spec's messages") {
  const char* bad_scheme[] = {"ftp://example.com/x", "file://etc/passwd", "gopher://x",
                              "javascript://x"};
  for (const char* url : bad_scheme) {
    CAPTURE(url);
    auto u = ParseWebhookUrl(url);
    REQUIRE_FALSE(u.ok());
    CHECK(u.status().message() == "url must use http or https scheme");
  }
  const char* invalid[] = {"not a url",
                           "example.com/hook",
                           "://example.com",
                           "http://",
                           "http:///path",
                           "http://user:pass@example.com/",
                           "http://example.com:0/",
                           "http://example.com:65536/",
                           "http://example.com:/",
                           "http://example.com:80a/",
                           "http://exa mple.com/",
                           "http://example.com/a b",
                           "http://[::1/",
                           "http://[nothex]/",
                           "http://exämple.com/",
                           "http://-example.com/",
                           "1http://example.com/"};
  for (const char* url : invalid) {
    CAPTURE(url);
    auto u = ParseWebhookUrl(url);
    REQUIRE_FALSE(u.ok());
    CHECK(u.status().message() == "url is not a valid URL");
  }
  CHECK_FALSE(ParseWebhookUrl("https://example.com/" + std::string(3000, 'a')).ok());
}

TEST_CASE("Non-public addresses are refused (docs/api.md#address-safety)") {
  const char* refused[] = {
      "127.0.0.1",
      "127.255.0.1",
      "10.0.0.1",
      "172.16.0.1",
      "172.31.255.255",
      "192.168.1.1",
      "169.254.0.1",
      "169.254.169.254",
      "100.64.0.1",
      "100.127.255.255",
      "100.100.100.200",
      "0.0.0.0",
      "0.1.2.3",
      "224.0.0.1",
      "239.255.255.250",
      "255.255.255.255",
      "240.0.0.1",
      "::",
      "::1",
      "::ffff:127.0.0.1",
      "::ffff:8.8.8.8",
      "::127.0.0.1",
      "fc00::1",
      "fd00:ec2::254",
      "fe80::1",
      "febf::1",
      "fec0::1",
      "ff02::1",
      "64:ff9b::10.0.0.1",
      "2002:c0a8:0101::1",
      "not-an-ip",
  };
  for (const char* ip : refused) {
    CAPTURE(ip);
    CHECK_FALSE(IsPublicAddressText(ip));
  }
  const char* allowed[] = {"8.8.8.8",          "1.1.1.1",          "172.15.255.255",
                           "172.32.0.1",       "100.63.255.255",   "100.128.0.1",
                           "169.253.0.1",      "192.167.1.1",      "11.0.0.1",
                           "223.255.255.255",  "2606:4700::1111",  "2001:4860::8888",
                           "64:ff9b::8.8.8.8", "2002:0808:0808::1"};
  for (const char* ip : allowed) {
    CAPTURE(ip);
    CHECK(IsPublicAddressText(ip));
  }
}

TEST_CASE("Special-purpose and documentation ranges are refused, each at both ends") {
  struct Range {
    const char* name;
    const char* first;
    const char* last;
    const char* just_outside;  // the neighbouring public address
  };
  const Range ranges[] = {
      {"192.0.0.0/24", "192.0.0.0", "192.0.0.255", "192.0.1.1"},
      {"192.0.2.0/24", "192.0.2.0", "192.0.2.255", "192.0.3.1"},
      {"198.18.0.0/15", "198.18.0.0", "198.19.255.255", "198.20.0.1"},
      {"198.51.100.0/24", "198.51.100.0", "198.51.100.255", "198.51.101.1"},
      {"203.0.113.0/24", "203.0.113.0", "203.0.113.255", "203.0.114.1"},
      {"2001:db8::/32", "2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "2001:db9::1"},
      {"2001::/32", "2001::1", "2001:0:ffff:ffff:ffff:ffff:ffff:ffff", "2001:1::1"},
      {"64:ff9b:1::/48", "64:ff9b:1::8.8.8.8", "64:ff9b:1:ffff:ffff:ffff:ffff:ffff",
       "64:ff9b:2::1"},
  };
  for (const Range& r : ranges) {
    CAPTURE(r.name);
    CHECK_FALSE(IsPublicAddressText(r.first));
    CHECK_FALSE(IsPublicAddressText(r.last));
    CHECK(IsPublicAddressText(r.just_outside));
  }
  // Embedded in the translation prefixes, the IPv4 ranges are refused as well.
  CHECK_FALSE(IsPublicAddressText("64:ff9b::192.0.2.1"));
  CHECK_FALSE(IsPublicAddressText("2002:cb00:7101::1"));  // 6to4 of 203.0.113.1
}

TEST_CASE("Documentation ranges resolve only when private addresses are allowed") {
  for (const char* ip : {"192.0.2.10", "198.18.0.1", "2001:db8::1", "2001::1"}) {
    CAPTURE(ip);
    auto refused = ResolveWebhookHost(ip, false);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.status().code() == Code::kForbidden);
    auto allowed = ResolveWebhookHost(ip, true);
    CHECK(allowed.ok());
  }
}

TEST_CASE("ResolveWebhookHost refuses loopback unless private addresses are allowed") {
  auto refused = ResolveWebhookHost("127.0.0.1", false);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code() == Code::kForbidden);
  CHECK(refused.status().message() == "destination address not allowed");
  auto numeric_trick = ResolveWebhookHost("2130706433", false);  // 127.0.0.1 as one number
  CHECK_FALSE(numeric_trick.ok());
  auto allowed = ResolveWebhookHost("127.0.0.1", true);
  REQUIRE(allowed.ok());
  CHECK(allowed.value() == "127.0.0.1");
  auto v6 = ResolveWebhookHost("::1", true);
  REQUIRE(v6.ok());
  CHECK(v6.value() == "::1");
}
