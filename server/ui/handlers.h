// The dashboard (docs/api.md#dashboard): public, embedded files. /ui redirects to /ui/; the files
// are under /ui/assets/, and any other path under /ui/ answers with the app's page so deep links
// load the app. The page sends the user's key only on its API calls.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "server/http/request.h"
#include "server/http/router.h"

namespace vigil {

class UiHandlers {
 public:
  // `routes` (read on first use: the page says which optional routes exist) must outlive this.
  explicit UiHandlers(const std::vector<Route>& routes) : routes_(routes) {}
  UiHandlers(const UiHandlers& other) : routes_(other.routes_) {}

  // GET /ui: 301 to /ui/ (the page's one address).
  void Redirect(RequestContext& ctx);
  // GET /: 302 to /ui/, temporary so that a page at / can come later without stale caches.
  void RedirectRoot(RequestContext& ctx);
  void Serve(RequestContext& ctx);

 private:
  // index.html with the page configuration filled in, built once.
  struct IndexPage {
    std::string html;
    std::string etag;
  };
  const IndexPage& Index();

  const std::vector<Route>& routes_;
  std::once_flag index_once_;
  IndexPage index_;
};

}  // namespace vigil
