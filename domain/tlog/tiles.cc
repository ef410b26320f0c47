#include "domain/tlog/tiles.h"

#include <cstdio>

namespace vigil::tlog {
namespace {

// A decimal without leading zeros, within [lo, hi]; -1 otherwise.
int64_t ParseSmallDecimal(std::string_view s, int64_t lo, int64_t hi) {
  if (s.empty() || s.size() > 4 || (s.size() > 1 && s[0] == '0')) return -1;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  return v < lo || v > hi ? -1 : v;
}

// Parses "x001/x234/067" (the whole of `s`) into `out`.
bool ParseTileIndex(std::string_view s, uint64_t* out) {
  uint64_t v = 0;
  bool first = true;
  while (true) {
    const size_t slash = s.find('/');
    std::string_view part = s.substr(0, slash);
    const bool last = slash == std::string_view::npos;
    if (!last) {
      if (part.empty() || part[0] != 'x') return false;
      part.remove_prefix(1);
    }
    if (part.size() != 3) return false;
    int digits = 0;
    for (char c : part) {
      if (c < '0' || c > '9') return false;
      digits = digits * 10 + (c - '0');
    }
    if (first && !last && digits == 0) return false;  // x000 leads only a non-canonical form
    if (v > (UINT64_MAX - 999) / 1000) return false;
    v = v * 1000 + static_cast<uint64_t>(digits);
    first = false;
    if (last) break;
    s.remove_prefix(slash + 1);
  }
  *out = v;
  return true;
}

uint64_t PowTileWidth(int level) {
  uint64_t p = 1;
  for (int i = 0; i < level; ++i) {
    if (p > UINT64_MAX / kTileWidth) return 0;  // beyond any tree
    p *= kTileWidth;
  }
  return p;
}

}  // namespace

Result<TilePath> ParseTilePath(std::string_view path) {
  const Status bad = Status::InvalidArgument("malformed tile path");
  TilePath t;
  const size_t slash = path.find('/');
  if (slash == std::string_view::npos) return bad;
  const std::string_view head = path.substr(0, slash);
  std::string_view rest = path.substr(slash + 1);
  if (head == "entries") {
    t.entries = true;
  } else {
    const int64_t level = ParseSmallDecimal(head, 0, kMaxTileLevel);
    if (level < 0) return bad;
    t.level = static_cast<int>(level);
  }
  const size_t partial = rest.find(".p/");
  if (partial != std::string_view::npos) {
    const int64_t width = ParseSmallDecimal(rest.substr(partial + 3), 1, kTileWidth - 1);
    if (width < 0) return bad;
    t.width = static_cast<int>(width);
    rest = rest.substr(0, partial);
  }
  if (!ParseTileIndex(rest, &t.index)) return bad;
  return t;
}

std::string TileIndexPath(uint64_t index) {
  std::string out;
  char buf[8];
  std::snprintf(buf, sizeof buf, "%03u", static_cast<unsigned>(index % 1000));
  out = buf;
  for (index /= 1000; index > 0; index /= 1000) {
    std::snprintf(buf, sizeof buf, "x%03u/", static_cast<unsigned>(index % 1000));
    out = buf + out;
  }
  return out;
}

uint64_t TileWidthAt(uint64_t size, int level, uint64_t index) {
  const uint64_t span = PowTileWidth(level);
  if (span == 0) return 0;
  const uint64_t nodes = size / span;  // complete subtrees at Merkle level 8·level
  if (index > nodes / kTileWidth) return 0;
  const uint64_t before = index * kTileWidth;
  return nodes - before >= kTileWidth ? kTileWidth : nodes - before;
}

bool TreeHoldsTile(uint64_t size, const TilePath& path) {
  const int level = path.entries ? 0 : path.level;
  return TileWidthAt(size, level, path.index) >= static_cast<uint64_t>(path.width);
}

Result<std::string> EntryBundle(const std::vector<std::string>& entries) {
  std::string out;
  for (const std::string& e : entries) {
    if (e.size() > 0xffff) return Status::InvalidArgument("an entry is at most 65535 bytes");
    out.push_back(static_cast<char>(e.size() >> 8));
    out.push_back(static_cast<char>(e.size() & 0xff));
    out += e;
  }
  return out;
}

Result<std::vector<std::string>> ParseEntryBundle(std::string_view bundle) {
  std::vector<std::string> out;
  while (!bundle.empty()) {
    if (bundle.size() < 2) return Status::InvalidArgument("truncated entry bundle");
    const size_t n =
        (static_cast<unsigned char>(bundle[0]) << 8) | static_cast<unsigned char>(bundle[1]);
    if (bundle.size() < 2 + n) return Status::InvalidArgument("truncated entry bundle");
    out.emplace_back(bundle.substr(2, n));
    bundle.remove_prefix(2 + n);
  }
  return out;
}

}  // namespace vigil::tlog
