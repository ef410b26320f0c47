#include "domain/tlog/tiles.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace vigil::tlog {
namespace {

TEST_CASE("Tile indexes use the x001/x234/067 path form") {
  CHECK(TileIndexPath(0) == "000");
  CHECK(TileIndexPath(5) == "005");
  CHECK(TileIndexPath(1000) == "x001/000");
  CHECK(TileIndexPath(1234067) == "x001/x234/067");
}

TEST_CASE("Tile paths parse; malformed or non-canonical ones are rejected") {
  TilePath t = ParseTilePath("0/x001/x234/067").value();
  CHECK_FALSE(t.entries);
  CHECK(t.level == 0);
  CHECK(t.index == 1234067);
  CHECK(t.width == 256);
  t = ParseTilePath("2/005.p/17").value();
  CHECK(t.level == 2);
  CHECK(t.index == 5);
  CHECK(t.width == 17);
  t = ParseTilePath("entries/x001/000.p/255").value();
  CHECK(t.entries);
  CHECK(t.index == 1000);
  CHECK(t.width == 255);
  for (const char* bad : {"", "0", "0/", "00/000", "64/000", "0/5", "0/0005", "0/x000/005",
                          "0/001/002", "0/x01/002", "0/000.p/0", "0/000.p/256", "0/000.p/07",
                          "0/000.p/", "entries/000.p/1x", "entry/000", "-1/000", "0/00a"}) {
    CAPTURE(bad);
    CHECK(ParseTilePath(bad).status().code() == Code::kInvalidArgument);
  }
}

TEST_CASE("A tree holds the tiles the tlog-tiles example lists for 70000 leaves") {
  // 273 full level-0 tiles, a partial one of width 112, a full level-1 tile, a partial one of
  // width 17, and a partial level-2 tile of width 1.
  CHECK(TileWidthAt(70000, 0, 272) == 256);
  CHECK(TileWidthAt(70000, 0, 273) == 112);
  CHECK(TileWidthAt(70000, 0, 274) == 0);
  CHECK(TileWidthAt(70000, 1, 0) == 256);
  CHECK(TileWidthAt(70000, 1, 1) == 17);
  CHECK(TileWidthAt(70000, 2, 0) == 1);
  CHECK(TileWidthAt(70000, 3, 0) == 0);
  CHECK(TileWidthAt(256, 1, 0) == 1);
  CHECK(TreeHoldsTile(70000, TilePath{false, 0, 273, 112}));
  CHECK(TreeHoldsTile(70000, TilePath{false, 0, 273, 100}));
  CHECK_FALSE(TreeHoldsTile(70000, TilePath{false, 0, 273, 113}));
  CHECK_FALSE(TreeHoldsTile(70000, TilePath{false, 0, 273, 256}));
  CHECK(TreeHoldsTile(70000, TilePath{true, 0, 272, 256}));
  CHECK_FALSE(TreeHoldsTile(70000, TilePath{false, 63, 0, 1}));
}

TEST_CASE("Entry bundles prefix each entry with its big-endian uint16 length") {
  const std::string bundle = EntryBundle({"ab", std::string(300, 'x'), ""}).value();
  CHECK(bundle.substr(0, 4) == std::string("\x00\x02"
                                           "ab",
                                           4));
  CHECK(bundle.substr(4, 2) == std::string("\x01\x2c", 2));
  CHECK(bundle.size() == 2 + 2 + 2 + 300 + 2);
  const std::vector<std::string> back = ParseEntryBundle(bundle).value();
  REQUIRE(back.size() == 3);
  CHECK(back[1] == std::string(300, 'x'));
  CHECK_FALSE(EntryBundle({std::string(65536, 'x')}).ok());
  CHECK_FALSE(ParseEntryBundle(bundle.substr(0, bundle.size() - 3)).ok());
}

}  // namespace
}  // namespace vigil::tlog
