#include "server/http/router.h"

#include "domain/base64.h"

namespace vigil {
namespace {

std::vector<std::string_view> Split(std::string_view path) {
  std::vector<std::string_view> parts;
  if (path.empty() || path[0] != '/') return parts;
  size_t start = 1;
  for (;;) {
    const size_t slash = path.find('/', start);
    parts.push_back(path.substr(start, slash == std::string_view::npos ? slash : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return parts;
}

}  // namespace

bool DecodeSegment(std::string_view in, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out->push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size()) return false;
    const int hi = HexValue(in[i + 1]), lo = HexValue(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return true;
}

RouteMatch MatchRoute(const std::vector<Route>& routes, std::string_view method,
                      std::string_view path) {
  RouteMatch m;
  const auto parts = Split(path);
  for (const Route& r : routes) {
    const auto pattern = Split(r.pattern);
    const bool rest = !pattern.empty() && pattern.back().size() > 2 &&
                      pattern.back().front() == '{' &&
                      pattern.back()[pattern.back().size() - 2] == '*';
    if (rest ? parts.size() < pattern.size() : pattern.size() != parts.size()) continue;
    std::vector<std::string> params;
    bool ok = true;
    for (size_t i = 0; i < pattern.size() && ok; ++i) {
      if (rest && i + 1 == pattern.size()) {
        std::string joined, decoded;
        for (size_t j = i; j < parts.size() && ok; ++j) {
          ok = DecodeSegment(parts[j], &decoded);
          if (j > i) joined += '/';
          joined += decoded;
        }
        params.push_back(std::move(joined));
      } else if (!pattern[i].empty() && pattern[i].front() == '{') {
        std::string decoded;
        ok = !parts[i].empty() && DecodeSegment(parts[i], &decoded);
        params.push_back(std::move(decoded));
      } else {
        ok = pattern[i] == parts[i];
      }
    }
    if (!ok) continue;
    m.path_known = true;
    const std::string_view rm = r.method;
    if (!m.allow.empty()) m.allow += ", ";
    m.allow += rm == "GET" ? "GET, HEAD" : std::string(rm);
    if (!m.route && (rm == method || (rm == "GET" && method == "HEAD"))) {
      m.route = &r;
      m.params = std::move(params);
    }
  }
  return m;
}

}  // namespace vigil
