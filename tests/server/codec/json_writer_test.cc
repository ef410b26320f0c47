#include "server/codec/json_writer.h"

#include <doctest/doctest.h>

#include <limits>

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
