// C2SP tlog-tiles (docs/transparency.md): tile paths, which tiles a tree holds, and entry bundles.
// Tiles have height 8: a tile at level L, index N holds the hashes of the complete subtrees at
// Merkle level 8·L with indexes N·256 .. N·256 + W - 1. Pure functions, no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "domain/status.h"

namespace vigil::tlog {

constexpr int kTileHeight = 8;
constexpr uint64_t kTileWidth = 256;  // hashes (or entries) in a full tile
// The highest tile level a path may name: 63, the spec's bound.
constexpr int kMaxTileLevel = 63;

struct TilePath {
  bool entries = false;  // an entry bundle (tile/entries/...) rather than a hash tile
  int level = 0;         // hash tiles only
  uint64_t index = 0;
  int width = 256;  // 256 for a full tile, 1..255 for a partial one (.p/W)
};

// Parses what follows "tile/" in a request path: "<L>/<N>[.p/<W>]" or "entries/<N>[.p/<W>]", with
// N in the x001/x234/067 form. InvalidArgument for anything else, including non-canonical forms
// (leading zeros in L or W, an x000 leading element, W = 256 written as a partial tile).
Result<TilePath> ParseTilePath(std::string_view path);
// The path form of `index`: 1234067 -> "x001/x234/067", 5 -> "005".
std::string TileIndexPath(uint64_t index);

// How many hashes of tile (level, index) a tree of `size` leaves holds: 0..256.
uint64_t TileWidthAt(uint64_t size, int level, uint64_t index);
// Whether a tree of `size` leaves holds the tile `path` at its width: hash tiles need that many
// complete subtrees, bundles that many entries. A full tile is "held" only once it is full.
bool TreeHoldsTile(uint64_t size, const TilePath& path);

// An entry bundle: each entry preceded by its length as a big-endian uint16. InvalidArgument when
// an entry is longer than 65535 bytes.
Result<std::string> EntryBundle(const std::vector<std::string>& entries);
// The entries of a bundle; InvalidArgument when it is truncated.
Result<std::vector<std::string>> ParseEntryBundle(std::string_view bundle);

}  // namespace vigil::tlog
