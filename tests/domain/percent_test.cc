#include "domain/percent.h"

#include <doctest/doctest.h>

namespace vigil {
namespace {

bool Printable(unsigned char c) { return c > 0x20 && c < 0x7f; }

TEST_CASE("PercentEncode escapes what keep rejects, in uppercase hex") {
  CHECK(PercentEncode("a b\xff/", Printable) == "a%20b%FF/");
  CHECK(PercentEncode("", Printable).empty());
}

TEST_CASE("PercentEncode never exceeds max_bytes and never cuts an escape") {
  CHECK(PercentEncode("abcdef", Printable, 5) == "abc");  // stops with fewer than 3 bytes left
  CHECK(PercentEncode("a\n\n", Printable, 6) == "a%0A");
  CHECK(PercentEncode("abc", Printable, 2).empty());
}

}  // namespace
}  // namespace vigil
