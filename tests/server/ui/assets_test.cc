#include "server/ui/assets.h"

#include <doctest/doctest.h>

#include <string>

namespace vigil {

TEST_CASE("The embedded dashboard files are sorted by path, typed by extension and tagged") {
  const auto& assets = EmbeddedUiAssets();
  REQUIRE(assets.size() >= 3);
  bool index = false;
  for (size_t i = 0; i < assets.size(); ++i) {
    const UiAsset& a = assets[i];
    CAPTURE(std::string(a.path));
    // The handler finds files by binary search.
    if (i > 0) CHECK(assets[i - 1].path < a.path);
    CHECK_FALSE(a.bytes.empty());
    CHECK(a.etag.size() == 18);
    CHECK(a.etag.front() == '"');
    CHECK(a.etag.back() == '"');
    const std::string path(a.path);
    const std::string ext = path.substr(path.rfind('.') + 1);
    if (ext == "js") CHECK(a.content_type == "text/javascript; charset=utf-8");
    if (ext == "css") CHECK(a.content_type == "text/css; charset=utf-8");
    if (ext == "html") CHECK(a.content_type == "text/html; charset=utf-8");
    if (ext == "svg") CHECK(a.content_type == "image/svg+xml");
    index = index || a.path == "index.html";
  }
  CHECK(index);
}

}  // namespace vigil
