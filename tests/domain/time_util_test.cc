#include "domain/time_util.h"

#include <doctest/doctest.h>

using vigil::FormatRfc3339Ms;
using vigil::ParseRfc3339Ms;

TEST_CASE("ParseRfc3339Ms accepts offsets and fractions and truncates to milliseconds") {
  struct Case {
    const char* in;
    int64_t want;
  };
  const Case cases[] = {
      {"1970-01-01T00:00:00Z", 0},
      {"2026-05-14T17:33:42.123456Z", 1778780022123},
      {"2026-05-14T17:33:42.1Z", 1778780022100},
      {"2026-05-14T17:33:42.999999999Z", 1778780022999},
      {"2026-05-14T19:33:42.123+02:00", 1778780022123},
      {"2026-05-14T12:03:42.123-05:30", 1778780022123},
      {"2024-02-29T00:00:00z", 1709164800000},
      {"9999-12-31T23:59:59Z", 253402300799000},
  };
  for (const auto& c : cases) {
    CAPTURE(c.in);
    auto got = ParseRfc3339Ms(c.in);
    REQUIRE(got.has_value());
    CHECK(*got == c.want);
  }
}

TEST_CASE("ParseRfc3339Ms rejects everything that is not RFC 3339 in range") {
  const char* bad[] = {"",
                       "2026-05-14",
                       "2026-05-14T17:33:42",   // no offset
                       "2026-13-01T00:00:00Z",  // month
                       "2026-02-30T00:00:00Z",  // day
                       "2023-02-29T00:00:00Z",  // not a leap year
                       "1969-12-31T23:59:59Z",  // before 1970
                       "2026-05-14T24:00:00Z",
                       "2026-05-14T17:33:42.Z",            // empty fraction
                       "2026-05-14T17:33:42.1234567890Z",  // 10 digits
                       "2026-05-14T17:33:42+0200",
                       "2026-05-14T17:33:42Z trailing",
                       "+2026-05-14T17:33:42Z",
                       "1970-01-01T00:30:00+01:00"};  // before the epoch in UTC
  for (const char* in : bad) {
    CAPTURE(in);
    CHECK_FALSE(ParseRfc3339Ms(in).has_value());
  }
}

TEST_CASE("FormatRfc3339Ms always writes milliseconds and Z") {
  CHECK(FormatRfc3339Ms(0) == "1970-01-01T00:00:00.000Z");
  CHECK(FormatRfc3339Ms(1778780022123) == "2026-05-14T17:33:42.123Z");
  CHECK(FormatRfc3339Ms(253402300799000) == "9999-12-31T23:59:59.000Z");
  for (int64_t ms : {int64_t{1}, int64_t{951782400000}, int64_t{1709164800999}}) {
    CHECK(ParseRfc3339Ms(FormatRfc3339Ms(ms)) == ms);
  }
}
