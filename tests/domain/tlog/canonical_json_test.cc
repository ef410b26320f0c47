#include "domain/tlog/canonical_json.h"

#include <doctest/doctest.h>

#include <string>

#include "domain/tlog/execution_entry.h"

namespace vigil::tlog {
namespace {

TEST_CASE("Numbers are written as ECMAScript writes them (RFC 8785 examples)") {
  CHECK(EcmaNumber(0.0) == "0");
  CHECK(EcmaNumber(-0.0) == "0");
  CHECK(EcmaNumber(333333333.33333329) == "333333333.3333333");
  CHECK(EcmaNumber(1e30) == "1e+30");
  CHECK(EcmaNumber(4.50) == "4.5");
  CHECK(EcmaNumber(2e-3) == "0.002");
  CHECK(EcmaNumber(1e-27) == "1e-27");
  CHECK(EcmaNumber(1e21) == "1e+21");
  CHECK(EcmaNumber(1e20) == "100000000000000000000");
  CHECK(EcmaNumber(0.000001) == "0.000001");
  CHECK(EcmaNumber(1e-7) == "1e-7");
  CHECK(EcmaNumber(5e-324) == "5e-324");
  CHECK(EcmaNumber(-1.5) == "-1.5");
  CHECK(EcmaNumber(9007199254740992.0) == "9007199254740992");
  CHECK(EcmaNumber(1.7976931348623157e308) == "1.7976931348623157e+308");
  CHECK(EcmaNumber(295147905179352830000.0) == "295147905179352830000");
}

TEST_CASE("Members sort by UTF-16 code units and strings take the minimal escapes") {
  JsonValue o = JsonValue::Object();
  o.Set("\xe2\x82\xac", JsonValue::String("Euro Sign"))
      .Set("\r", JsonValue::String("Carriage Return"))
      .Set("\xef\xac\xb3", JsonValue::String("Hebrew Letter Dalet With Dagesh"))
      .Set("1", JsonValue::String("One"))
      .Set("\xf0\x9f\x98\x80", JsonValue::String("Emoji: Grinning Face"))
      .Set("\xc2\x80", JsonValue::String("Control"))
      .Set("\xc3\xb6", JsonValue::String("Latin Small Letter O With Diaeresis"));
  const std::string c = o.Canonical();
  const size_t order[] = {c.find("Carriage"), c.find("One"),   c.find("Control"), c.find("Latin"),
                          c.find("Euro"),     c.find("Emoji"), c.find("Hebrew")};
  for (size_t i = 1; i < 7; ++i) CHECK(order[i - 1] < order[i]);
  CHECK(JsonValue::String("\xe2\x82\xac$\x0f\nA'B\"\\\\\"/").Canonical() ==
        "\"\xe2\x82\xac$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"");
  JsonValue a = JsonValue::Array();
  a.Push(JsonValue()).Push(JsonValue::Bool(true)).Push(JsonValue::Int(-3));
  CHECK(a.Canonical() == "[null,true,-3]");
}

TEST_CASE("An execution entry is canonical JSON with findings always present") {
  ExecutionEntry e;
  e.project_id = "p1";
  e.execution_id = "x";
  e.status = "completed";
  e.estimated_cost_usd = 0.25;
  e.transcript_sha256 = TranscriptSha256({});
  const std::string bytes = EntryBytes(e);
  CHECK(bytes.find("\"findings\":[]") != std::string::npos);
  CHECK(bytes.find("\"estimated_cost_usd\":0.25") != std::string::npos);
  CHECK(bytes.find("code_version") == std::string::npos);
  CHECK(bytes.rfind("{\"ended_at_ms\":0,\"estimated_cost_usd\"", 0) == 0);
  CHECK(e.transcript_sha256 == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  e.code_version = "abc";
  CHECK(EntryBytes(e).find("\"code_version\":\"abc\"") != std::string::npos);
  CHECK(TranscriptSha256({"{\"a\":1}"}) != TranscriptSha256({"{\"a\":2}"}));
  CHECK(TranscriptSha256({"{}"}) != TranscriptSha256({"{}", "{}"}));
}

}  // namespace
}  // namespace vigil::tlog
