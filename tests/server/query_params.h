// A query string read into an httplib::Request's params the way the server's HTTP library reads
// it, for code that builds requests without a socket: the handler tests and the router fuzz target.
#pragma once

#include <httplib.h>

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>

namespace vigil::testing {

inline bool IsHexDigit(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

// Adds the parameters of a query string to `req` as the server's HTTP library would: split at
// '&' and the first '=', '+' read as a space, %XX decoded.
inline void AddQueryParams(std::string_view query, httplib::Request* req) {
  auto decode = [](std::string_view in) {
    std::string out;
    for (size_t i = 0; i < in.size(); ++i) {
      if (in[i] == '+') {
        out.push_back(' ');
      } else if (in[i] == '%' && i + 2 < in.size() && IsHexDigit(in[i + 1]) &&
                 IsHexDigit(in[i + 2])) {
        out.push_back(static_cast<char>(std::stoi(std::string(in.substr(i + 1, 2)), nullptr, 16)));
        i += 2;
      } else {
        out.push_back(in[i]);
      }
    }
    return out;
  };
  while (!query.empty()) {
    const std::string_view pair = query.substr(0, query.find('&'));
    query.remove_prefix(std::min(query.size(), pair.size() + 1));
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    req->params.emplace(decode(pair.substr(0, eq)),
                        eq == std::string_view::npos ? "" : decode(pair.substr(eq + 1)));
  }
}

}  // namespace vigil::testing
