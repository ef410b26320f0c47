#include "domain/tlog/canonical_json.h"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "domain/hash.h"
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

// The string form as first written, one byte at a time: the reference for AppendJsonString.
std::string ReferenceJsonString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
          out += buf;
        } else {
          out.push_back(c);
        }
    }
  }
  return out + "\"";
}

std::string Number(double d) {
  std::string out;
  AppendJsonNumber(d, &out);
  return out;
}

TEST_CASE("AppendJsonString writes every byte as the reference form does") {
  std::string all;
  for (int b = 1; b < 256; ++b) all.push_back(static_cast<char>(b));
  for (std::string_view s :
       {std::string_view(""), std::string_view("plain"), std::string_view("\"\\\"", 3),
        std::string_view("a\x01b\x1f"), std::string_view("\xe2\x82\xac \xf0\x9f\x98\x80\n"),
        std::string_view(all)}) {
    std::string out;
    AppendJsonString(s, &out);
    CHECK(out == ReferenceJsonString(s));
  }
}

TEST_CASE("AppendJsonNumber writes what EcmaNumber writes, integers included") {
  for (double d :
       {0.0, -0.0, 1.0, -1.0, 0.1, 1e21, 1e20, -1e21, 9007199254740991.0, 9007199254740992.0,
        -9007199254740993.0, 4.5, 1e-7, 5e-324, 123456789012.0, 1.7976931348623157e308}) {
    CHECK(Number(d) == EcmaNumber(d));
  }
  CHECK(Number(NAN) == "null");
  CHECK(Number(INFINITY) == "null");
  std::mt19937_64 rng(7);
  for (int i = 0; i < 200000; ++i) {
    const uint64_t bits = rng();
    double d;
    std::memcpy(&d, &bits, sizeof d);
    if (!std::isfinite(d)) continue;
    CHECK(Number(d) == EcmaNumber(d));
    const auto n = static_cast<int64_t>(rng() >> (rng() % 64));
    CHECK(Number(static_cast<double>(n)) == EcmaNumber(static_cast<double>(n)));
    CHECK(Number(static_cast<double>(-n)) == EcmaNumber(static_cast<double>(-n)));
  }
}

TEST_CASE("A transcript hashed an event at a time is the transcript hashed whole") {
  TranscriptHasher h;
  h.Add("{\"a\":1}");
  h.Add("{}");
  CHECK(h.Hex() == Sha256Hex("{\"a\":1}\n{}\n"));
  TranscriptHasher empty;
  CHECK(empty.Hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

}  // namespace
}  // namespace vigil::tlog
