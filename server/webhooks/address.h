// Webhook URLs and address safety (docs/api.md#create-a-webhook, docs/api.md#address-safety).
//
// A webhook URL is fetched by the server, so it is a server-side request forgery vector: every
// address its host resolves to must be public, at registration and again before every attempt,
// and the attempt connects to the address that was checked (no second lookup the receiver's DNS
// could answer differently). VIGIL_WEBHOOK_ALLOW_PRIVATE=1 lifts the address check.
#pragma once

#include <string>
#include <string_view>

#include "domain/status.h"

struct sockaddr;

namespace vigil {

struct WebhookUrl {
  std::string scheme;  // "http" | "https"
  std::string host;    // lower-cased; an IPv6 literal without its brackets
  int port = 0;        // explicit or the scheme's default
  std::string path;    // path and query ("/" at least); a fragment is dropped
  bool ipv6_literal = false;

  // scheme://host:port (IPv6 hosts bracketed), as httplib's Client takes it.
  std::string Origin() const;
};

// Parses an absolute http(s) URL. InvalidArgument with the messages of
// docs/api.md#create-a-webhook: "url is not a valid URL" or "url must use http or https scheme".
// User info, control characters, spaces and non-ASCII text are refused (a receiver's URL never
// needs them).
Result<WebhookUrl> ParseWebhookUrl(std::string_view url);

// Whether a webhook may be sent to this address: false for loopback, private, link-local, CGNAT,
// unspecified, multicast, broadcast/reserved, special-purpose and documentation ranges,
// cloud-metadata and IPv4-mapped/compatible forms (the list: docs/api.md#address-safety).
bool IsPublicAddress(const sockaddr* addr);
// The same for a numeric address in text form (false when it is not one).
bool IsPublicAddressText(std::string_view ip);

// Resolves `host` and returns the numeric address to connect to. When `allow_private` is false,
// a single non-public address among the answers refuses the host: Forbidden
// "destination address not allowed". Unavailable when the name does not resolve.
Result<std::string> ResolveWebhookHost(const std::string& host, bool allow_private);

}  // namespace vigil
