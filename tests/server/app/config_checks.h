// Checks shared by the configuration tests.
#pragma once

#include <doctest/doctest.h>

#include <string>

#include "server/app/config.h"

namespace vigil::test {

// ParseConfig refuses the setting `name` = `value` given alone, and its message names the setting.
// Returns that message, for checks of what it must not say.
inline std::string RejectedSettingMessage(const char* name, const char* value) {
  CAPTURE(name);
  auto c = ParseConfig({}, {{name, value}});
  REQUIRE_FALSE(c.ok());
  CHECK(c.status().message().find(name) != std::string::npos);
  return c.status().message();
}

}  // namespace vigil::test
