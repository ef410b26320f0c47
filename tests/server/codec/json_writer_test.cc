#include "server/codec/json_writer.h"

#include <doctest/doctest.h>

#include <limits>
#include <string>
#include <string_view>

#include "detectors/unicode.h"

using namespace vigil;

namespace {

std::string DoubleText(double v) {
  JsonWriter w;
  w.Double(v);
  return w.str();
}

}  // namespace

TEST_CASE("JsonWriter doubles drop binary noise and keep up to 15 significant digits") {
  CHECK(DoubleText(0.0058 + 0.0058) == "0.0116");
  CHECK(DoubleText(0.1 + 0.2) == "0.3");
  CHECK(DoubleText(3 * 0.00006) == "0.00018");
  CHECK(DoubleText(0.078) == "0.078");
  CHECK(DoubleText(3.0) == "3");
  CHECK(DoubleText(12345.678901234) == "12345.678901234");
  CHECK(DoubleText(1e-12) == "1e-12");
  CHECK(DoubleText(0) == "0");
  CHECK(DoubleText(std::numeric_limits<double>::infinity()) == "0");
}

namespace {

std::string StringText(std::string_view v) {
  JsonWriter w;
  w.String(v);
  return w.str();
}

// True when `s` is well-formed UTF-8 (no overlong forms, surrogates or truncated sequences).
bool WellFormedUtf8(const std::string& s) {
  size_t pos = 0;
  while (pos < s.size()) {
    const size_t at = pos;
    const char32_t cp = DecodeUtf8(s, &pos);
    if (cp == kReplacementChar && pos == at + 1) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("JsonWriter replaces invalid UTF-8 with U+FFFD and keeps valid text as it is") {
  CHECK(StringText("caf\xC3\xA9 \xF0\x9F\x98\x80") == "\"caf\xC3\xA9 \xF0\x9F\x98\x80\"");
  CHECK(StringText(std::string("a\xFF") + "b") == std::string("\"a\xEF\xBF\xBD") + "b\"");
  CHECK(StringText("\xC3") == "\"\xEF\xBF\xBD\"");                                  // truncated
  CHECK(StringText("\xC0\xAF") == "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");                  // overlong
  CHECK(StringText("\xED\xA0\x80") == "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");  // surrogate
  CHECK(StringText("\xEF\xBF\xBD") == "\"\xEF\xBF\xBD\"");                          // a real U+FFFD
  for (const char* bad : {"\xFF\xFE", "x\xE2\x82", "\xF4\x90\x80\x80", "\x80"}) {
    CAPTURE(bad);
    CHECK(WellFormedUtf8(StringText(bad)));
  }
}

TEST_CASE("JsonWriter never writes a raw control character") {
  std::string all;
  for (int c = 0; c < 0x80; ++c) all.push_back(static_cast<char>(c));
  const std::string out = StringText(all);
  for (size_t i = 1; i + 1 < out.size(); ++i) {
    const auto c = static_cast<unsigned char>(out[i]);
    CAPTURE(i);
    CHECK((c >= 0x20 && c != 0x7f));
  }
  CHECK(StringText(std::string("a\0b", 3)) == "\"a\\u0000b\"");
  CHECK(StringText("\x7f") == "\"\\u007f\"");
  CHECK(StringText("\n\t\"\\") == "\"\\n\\t\\\"\\\\\"");
  CHECK(StringText("\xC2\x85") == "\"\\u0085\"");  // C1 control (NEL)
  CHECK(StringText("\xE2\x80\xA8\xE2\x80\xA9") == "\"\\u2028\\u2029\"");
}
