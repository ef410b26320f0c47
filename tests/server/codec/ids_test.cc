#include "server/codec/ids.h"

#include <doctest/doctest.h>

#include <string>

#include "server/codec/json_codec.h"
#include "server/limits.h"

using namespace vigil;

TEST_CASE("CheckPathId refuses what a body id refuses, with the body's message") {
  CHECK(CheckPathId("execution_id", "run-1").ok());
  CHECK(CheckPathId("execution_id", "caf\xC3\xA9").ok());
  CHECK(CheckPathId("execution_id", std::string(limits::kMaxIdBytes, 'a')).ok());
  const std::string long_id(limits::kMaxIdBytes + 1, 'a');
  const std::string with_control = std::string("a\x01", 2);
  const std::string with_nul = std::string("a\0b", 3);
  for (const std::string& id : {long_id, with_control, with_nul, std::string("a\x7f")}) {
    const Status path = CheckPathId("execution_id", id);
    std::string dummy;
    std::string json = "{\"execution_id\":";
    AppendJsonString(&json, id);
    const auto body = ParseExecutionBody(json + "}", &dummy);
    REQUIRE_FALSE(path.ok());
    REQUIRE_FALSE(body.ok());
    CHECK(path.code() == Code::kInvalidArgument);
    CHECK(path.message() == body.status().message());
  }
}

TEST_CASE("CheckPathId refuses invalid UTF-8") {
  for (const char* id : {"\xFF", "a\xC3", "\xED\xA0\x80", "\xC0\xAF"}) {
    const Status s = CheckPathId("execution_id", id);
    REQUIRE_FALSE(s.ok());
    CHECK(s.message() == "execution_id must be valid UTF-8");
  }
}
