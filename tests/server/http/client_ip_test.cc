#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "server/http/pipeline.h"

using vigil::RightmostListEntry;

TEST_CASE("RightmostListEntry reads the last entry of a forwarded list across all its lines") {
  CHECK(RightmostListEntry({}) == "");
  CHECK(RightmostListEntry({" 203.0.113.9 "}) == "203.0.113.9");
  CHECK(RightmostListEntry({"10.0.0.1, 203.0.113.9"}) == "203.0.113.9");
  // A proxy that appends its own header line: the client's line comes first and is not trusted.
  CHECK(RightmostListEntry({"6.6.6.6", "203.0.113.9"}) == "203.0.113.9");
  CHECK(RightmostListEntry({"6.6.6.6, 7.7.7.7", "10.0.0.1,203.0.113.9"}) == "203.0.113.9");
  // An empty last entry names nobody: the caller falls back to the socket peer.
  CHECK(RightmostListEntry({"6.6.6.6", ""}) == "");
  CHECK(RightmostListEntry({"6.6.6.6", "7.7.7.7, "}) == "");
}
