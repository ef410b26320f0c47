#include "server/webhooks/address.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cctype>
#include <cstring>

#include "server/limits.h"

namespace vigil {
namespace {

Status InvalidUrl() { return Status::InvalidArgument("url is not a valid URL"); }

bool PublicV4(uint32_t a) {  // host byte order
  const uint32_t top = a >> 24;
  if (top == 0) return false;                          // 0.0.0.0/8 ("this network")
  if (top == 10) return false;                         // 10/8
  if (top == 127) return false;                        // loopback
  if ((a & 0xFFC00000u) == 0x64400000u) return false;  // 100.64/10 CGNAT (incl. 100.100.100.200)
  if ((a & 0xFFFF0000u) == 0xA9FE0000u) return false;  // 169.254/16 (incl. 169.254.169.254)
  if ((a & 0xFFF00000u) == 0xAC100000u) return false;  // 172.16/12
  if ((a & 0xFFFF0000u) == 0xC0A80000u) return false;  // 192.168/16
  // Special-purpose and documentation ranges (RFC 6890, RFC 5737, RFC 2544): nothing a receiver
  // legitimately uses, and some networks route them internally.
  if ((a & 0xFFFFFF00u) == 0xC0000000u) return false;  // 192.0.0/24 IETF protocol assignments
  if ((a & 0xFFFFFF00u) == 0xC0000200u) return false;  // 192.0.2/24 TEST-NET-1
  if ((a & 0xFFFE0000u) == 0xC6120000u) return false;  // 198.18/15 benchmarking
  if ((a & 0xFFFFFF00u) == 0xC6336400u) return false;  // 198.51.100/24 TEST-NET-2
  if ((a & 0xFFFFFF00u) == 0xCB007100u) return false;  // 203.0.113/24 TEST-NET-3
  if (a >= 0xE0000000u) return false;                  // multicast, reserved, broadcast
  return true;
}

uint32_t V4At(const unsigned char* b) {
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
}

bool PublicV6(const unsigned char* b) {
  bool first12_zero = true;
  for (int i = 0; i < 12; ++i) first12_zero = first12_zero && b[i] == 0;
  // ::/96 covers unspecified, loopback and the deprecated IPv4-compatible form.
  if (first12_zero) return false;
  // ::ffff:0:0/96, IPv4-mapped: whatever it embeds, refused (docs/api.md#address-safety).
  bool mapped = b[10] == 0xff && b[11] == 0xff;
  for (int i = 0; i < 10; ++i) mapped = mapped && b[i] == 0;
  if (mapped) return false;
  if ((b[0] & 0xfe) == 0xfc) return false;                  // fc00::/7 (incl. fd00:ec2::254)
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return false;  // fe80::/10 link-local
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) return false;  // fec0::/10 site-local (deprecated)
  if (b[0] == 0xff) return false;                           // multicast
  // 2001::/32 (Teredo, which tunnels to an address it hides) and 2001:db8::/32 (documentation).
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x00 && b[3] == 0x00) return false;
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) return false;
  // 64:ff9b:1::/48, local-use NAT64 (RFC 8215): translated by the operator's own network.
  static const unsigned char kLocalNat64[6] = {0, 0x64, 0xff, 0x9b, 0, 0x01};
  if (std::memcmp(b, kLocalNat64, 6) == 0) return false;
  // Translation prefixes carry an IPv4 address: judge that one.
  static const unsigned char kNat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
  if (std::memcmp(b, kNat64, 12) == 0) return PublicV4(V4At(b + 12));  // 64:ff9b::/96
  if (b[0] == 0x20 && b[1] == 0x02) return PublicV4(V4At(b + 2));      // 2002::/16 (6to4)
  return true;
}

}  // namespace

std::string WebhookUrl::Origin() const {
  return scheme + "://" + (ipv6_literal ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

namespace {

// The scheme before "://", lower-cased: letters first, then letters, digits, '+', '-', '.'.
Result<std::string> ParseScheme(std::string_view scheme) {
  std::string out;
  for (size_t i = 0; i < scheme.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(scheme[i]);
    const bool ok =
        std::isalpha(c) || (i > 0 && (std::isdigit(c) || c == '+' || c == '-' || c == '.'));
    if (!ok) return InvalidUrl();
    out.push_back(static_cast<char>(std::tolower(c)));
  }
  if (out != "http" && out != "https") {
    return Status::InvalidArgument("url must use http or https scheme");
  }
  return out;
}

// Splits the authority into host and port text; a bracketed host must be an IPv6 literal, any
// other one a DNS name or IPv4 literal of [A-Za-z0-9._-] not starting with '.' or '-'.
Status SplitAuthority(std::string_view authority, std::string_view* host, std::string_view* port,
                      bool* ipv6_literal) {
  if (authority.find('@') != std::string_view::npos) return InvalidUrl();
  size_t port_sep = std::string_view::npos;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return InvalidUrl();
    *host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return InvalidUrl();
      port_sep = close + 1;
    }
    in6_addr a6;
    if (inet_pton(AF_INET6, std::string(*host).c_str(), &a6) != 1) return InvalidUrl();
    *ipv6_literal = true;
  } else {
    port_sep = authority.find(':');
    *host = authority.substr(0, port_sep);
    if (host->empty() || host->size() > 253) return InvalidUrl();
    for (char c : *host) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_')) {
        return InvalidUrl();
      }
    }
    if (host->front() == '.' || host->front() == '-') return InvalidUrl();
  }
  if (port_sep != std::string_view::npos) {
    *port = authority.substr(port_sep + 1);
    if (port->empty()) return InvalidUrl();
  }
  return Status::Ok();
}

// A decimal port in 1..65535, or the scheme's default when absent.
Result<int> ParsePort(std::string_view port, const std::string& scheme) {
  if (port.empty()) return scheme == "https" ? 443 : 80;
  if (port.size() > 5) return InvalidUrl();
  int n = 0;
  for (char c : port) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return InvalidUrl();
    n = n * 10 + (c - '0');
  }
  if (n < 1 || n > 65535) return InvalidUrl();
  return n;
}

}  // namespace

Result<WebhookUrl> ParseWebhookUrl(std::string_view url) {
  if (url.empty() || url.size() > limits::kMaxWebhookUrlBytes) return InvalidUrl();
  for (unsigned char c : url) {
    if (c <= 0x20 || c >= 0x7f) return InvalidUrl();
  }
  const size_t sep = url.find("://");
  if (sep == std::string_view::npos || sep == 0) return InvalidUrl();
  WebhookUrl out;
  auto scheme = ParseScheme(url.substr(0, sep));
  if (!scheme.ok()) return scheme.status();
  out.scheme = std::move(scheme.value());
  std::string_view rest = url.substr(sep + 3);
  rest = rest.substr(0, rest.find('#'));
  const size_t auth_end = rest.find_first_of("/?");
  std::string_view host, port;
  Status s = SplitAuthority(rest.substr(0, auth_end), &host, &port, &out.ipv6_literal);
  if (!s.ok()) return s;
  for (char c : host)
    out.host.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  auto port_number = ParsePort(port, out.scheme);
  if (!port_number.ok()) return port_number.status();
  out.port = port_number.value();
  const std::string_view path = auth_end == std::string_view::npos ? "" : rest.substr(auth_end);
  out.path = path.empty() || path.front() == '?' ? "/" + std::string(path) : std::string(path);
  return out;
}

bool IsPublicAddress(const sockaddr* addr) {
  if (addr->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(addr);
    return PublicV4(ntohl(in->sin_addr.s_addr));
  }
  if (addr->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(addr);
    return PublicV6(in6->sin6_addr.s6_addr);
  }
  return false;
}

bool IsPublicAddressText(std::string_view ip) {
  const std::string text(ip);
  in_addr a4;
  if (inet_pton(AF_INET, text.c_str(), &a4) == 1) return PublicV4(ntohl(a4.s_addr));
  in6_addr a6;
  if (inet_pton(AF_INET6, text.c_str(), &a6) == 1) return PublicV6(a6.s6_addr);
  return false;
}

Result<std::string> ResolveWebhookHost(const std::string& host, bool allow_private) {
  addrinfo hints;
  std::memset(&hints, 0, sizeof(hints));
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* result = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &result) != 0 || result == nullptr) {
    return Status::Unavailable("cannot resolve host " + host);
  }
  std::string chosen;
  bool refused = false;
  for (addrinfo* rp = result; rp; rp = rp->ai_next) {
    if (rp->ai_family != AF_INET && rp->ai_family != AF_INET6) continue;
    if (!allow_private && !IsPublicAddress(rp->ai_addr)) refused = true;
    if (chosen.empty()) {
      char buf[INET6_ADDRSTRLEN] = {};
      const void* src =
          rp->ai_family == AF_INET
              ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(rp->ai_addr)->sin_addr)
              : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(rp->ai_addr)->sin6_addr);
      if (inet_ntop(rp->ai_family, src, buf, sizeof(buf))) chosen = buf;
    }
  }
  freeaddrinfo(result);
  if (refused) return Status::Forbidden("destination address not allowed");
  if (chosen.empty()) return Status::Unavailable("cannot resolve host " + host);
  return chosen;
}

}  // namespace vigil
