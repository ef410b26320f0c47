// The embedded dashboard under /ui/ (docs/protocol.md#compatibility, docs/api.md#webhook-messages).
// Its files are compiled into the binary (server/ui_assets.h). The routes are public: the files
// hold no project data, and the page asks for an API key in the browser and sends it only on its
// calls to the API.
#include "server/ui/handlers.h"

#include <algorithm>

#include "detectors/detectors.h"
#include "domain/hash.h"
#include "server/http/router.h"
#include "server/ui/assets.h"

namespace vigil {
namespace {

// Only the binary's own origin may supply scripts, styles and API calls, nothing may run inline,
// and no other site may frame the dashboard (clickjacking the Halt and Revoke buttons).
// form-action 'none': a form submitted without its script would put the key in a URL.
constexpr char kContentSecurityPolicy[] =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

constexpr std::string_view kAssetsPrefix = "assets/";
constexpr std::string_view kConfigMarker = "{{vigil-config}}";

const UiAsset* FindAsset(std::string_view path) {
  const auto& assets = EmbeddedUiAssets();
  const auto it = std::lower_bound(assets.begin(), assets.end(), path,
                                   [](const UiAsset& a, std::string_view p) { return a.path < p; });
  return it != assets.end() && it->path == path ? &*it : nullptr;
}

std::string EscapeHtmlAttribute(std::string_view in) {
  std::string out;
  for (char c : in) {
    switch (c) {
      case '"':
        out += "&quot;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// What the page needs to know about this binary before it has a key: which optional API routes
// exist (so it never calls a missing one) and the price table (per-call cost estimates in the
// timeline). Both are fixed at build time.
std::string PageConfigJson(const std::vector<Route>& routes) {
  auto has = [&](const char* path) { return MatchRoute(routes, "GET", path).route != nullptr; };
  JsonWriter w;
  w.BeginObject().Field("version", VIGIL_VERSION).Key("features").BeginObject();
  w.Field("audit_log", has("/audit-log"))
      .Field("billing", has("/billing"))
      .Field("billing_usage", has("/billing/usage"))
      .EndObject();
  w.Key("prices").BeginArray();
  for (const ModelPrice& p : PriceTable()) {
    w.BeginObject()
        .Field("key", p.key)
        .FieldDouble("input_usd_per_mtok", p.input_usd_per_mtok)
        .FieldDouble("output_usd_per_mtok", p.output_usd_per_mtok)
        .FieldDouble("cached_input_usd_per_mtok", p.cached_input_usd_per_mtok)
        .FieldDouble("reasoning_usd_per_mtok", p.reasoning_usd_per_mtok)
        .Field("exact_only", p.exact_only)
        .EndObject();
  }
  w.EndArray().EndObject();
  return w.Take();
}

void SendAsset(RequestContext& ctx, std::string_view bytes, std::string_view type,
               std::string_view etag) {
  httplib::Response& res = *ctx.res;
  res.set_header("Content-Security-Policy", kContentSecurityPolicy);
  res.set_header("X-Frame-Options", "DENY");
  res.set_header("Referrer-Policy", "no-referrer");
  res.set_header("Cross-Origin-Opener-Policy", "same-origin");
  // Revalidate on every load (a 304 is cheap): an upgraded binary must never run stale scripts.
  res.set_header("Cache-Control", "no-cache");
  res.set_header("ETag", std::string(etag));
  const std::string inm = ctx.req->get_header_value("If-None-Match");
  if (!inm.empty() && (inm == "*" || inm.find(etag) != std::string::npos)) {
    res.status = 304;
    return;
  }
  res.status = 200;
  res.set_content(std::string(bytes), std::string(type));
}

}  // namespace

const UiHandlers::IndexPage& UiHandlers::Index() {
  std::call_once(index_once_, [this] {
    const UiAsset* index = FindAsset("index.html");
    index_.html =
        index ? std::string(index->bytes) : std::string("<!doctype html><title>Vigil</title>");
    const auto at = index_.html.find(kConfigMarker);
    if (at != std::string::npos) {
      index_.html.replace(at, kConfigMarker.size(), EscapeHtmlAttribute(PageConfigJson(routes_)));
    }
    index_.etag = "\"" + Sha256Hex(index_.html).substr(0, 16) + "\"";
  });
  return index_;
}

void UiHandlers::Redirect(RequestContext& ctx) {
  ctx.res->status = 301;
  ctx.res->set_header("Location", "/ui/");
}

void UiHandlers::RedirectRoot(RequestContext& ctx) {
  ctx.res->status = 302;
  ctx.res->set_header("Location", "/ui/");
}

void UiHandlers::Serve(RequestContext& ctx) {
  const std::string& path = ctx.params[0];
  if (path.compare(0, kAssetsPrefix.size(), kAssetsPrefix) == 0) {
    const UiAsset* asset = FindAsset(path);
    if (!asset) return SendError(ctx, Status::NotFound("not found"));
    return SendAsset(ctx, asset->bytes, asset->content_type, asset->etag);
  }
  const IndexPage& page = Index();
  SendAsset(ctx, page.html, "text/html; charset=utf-8", page.etag);
}

}  // namespace vigil
