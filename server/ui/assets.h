// The dashboard's files (ui/), compiled into the binary by server/embed_ui_assets.cmake.
#pragma once

#include <string_view>
#include <vector>

namespace vigil {

struct UiAsset {
  std::string_view path;          // relative to ui/, e.g. "index.html", "assets/js/main.js"
  std::string_view content_type;  // from the file extension
  std::string_view etag;          // quoted, from the SHA-256 of the bytes
  std::string_view bytes;
};

// Every embedded file, sorted by path. Thread-safe (built once).
const std::vector<UiAsset>& EmbeddedUiAssets();

}  // namespace vigil
