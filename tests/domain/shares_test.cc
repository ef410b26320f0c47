#include "domain/shares.h"

#include <doctest/doctest.h>

namespace vigil {
namespace {

TEST_CASE("a project takes at most its share, and the others keep the rest") {
  ProjectShares shares(8, 2);
  CHECK(shares.TryTake(1));
  CHECK(shares.TryTake(1));
  CHECK_FALSE(shares.TryTake(1));
  CHECK_FALSE(shares.HasRoom(1));
  CHECK(shares.Held(1) == 2);
  for (int64_t p = 2; p <= 4; ++p) {
    CHECK(shares.TryTake(p));
    CHECK(shares.TryTake(p));
  }
  CHECK(shares.taken() == 8);
  CHECK_FALSE(shares.TryTake(5));  // the total holds too
  shares.Give(3);
  CHECK(shares.Held(3) == 1);
  CHECK(shares.TryTake(5));
  CHECK(shares.taken() == 8);
}

TEST_CASE("giving back a place never taken changes nothing") {
  ProjectShares shares(2, 1);
  shares.Give(7);
  CHECK(shares.taken() == 0);
  CHECK(shares.TryTake(7));
  shares.Give(7);
  shares.Give(7);
  CHECK(shares.taken() == 0);
  CHECK(shares.Held(7) == 0);
  CHECK(shares.HasRoom(7));
}

}  // namespace
}  // namespace vigil
