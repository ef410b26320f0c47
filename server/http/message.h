// The two pure translations between wire and handler: a parsed request head into the
// httplib::Request value handlers read (its public fields only), and a handler's httplib::Response
// into the response head sent back. No I/O.
#pragma once

#include <httplib.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "server/http/wire.h"

namespace vigil {

// Percent-decodes `in`; with `plus_is_space` (query strings) '+' is a space. A '%' not followed by
// two hex digits is kept as it is.
std::string PercentDecode(std::string_view in, bool plus_is_space);

// Adds the `name=value` pairs of a query string (without its '?') to `params`, decoded. A pair
// without '=' has an empty value; empty pairs are skipped.
void ParseQuery(std::string_view query, httplib::Params* params);

// Fills method, target, path (decoded), version, headers and params from `head`.
void FillRequest(const RequestHead& head, httplib::Request* req);

// What the response head says about the connection and the body that follows.
struct ResponseFraming {
  bool close = false;         // `Connection: close`; else keep-alive
  bool http10 = false;        // the request was HTTP/1.0 (no chunked encoding)
  bool chunked = false;       // a streamed body follows as chunks
  bool head_request = false;  // HEAD: headers as for GET, no body
};

// The status line and headers of `res` (its Connection, Content-Length and Transfer-Encoding
// are replaced by what `framing` and the body say), with `defaults` added where `res` has no
// header of that name, ending with the blank line.
std::string SerializeResponseHead(const httplib::Response& res, const ResponseFraming& framing,
                                  const std::vector<std::pair<std::string, std::string>>& defaults);

// True when a response with this status never carries a body (1xx, 204, 304).
bool StatusHasNoBody(int status);

// The reason phrase of a status code ("OK", "Not Found"; "" when unknown).
const char* ReasonPhrase(int status);

}  // namespace vigil
