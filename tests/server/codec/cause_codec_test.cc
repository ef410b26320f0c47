#include "server/codec/cause_codec.h"

#include <doctest/doctest.h>

#include <string>

#include "server/codec/json_codec.h"
#include "server/limits.h"

using namespace vigil;

namespace {

// ReadExceptionCause on `json`: "" when accepted, else the error.
std::string CauseError(const std::string& json) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  REQUIRE(parser.parse(json).get(doc) == simdjson::SUCCESS);
  std::string error;
  ExceptionCause cause;
  return ReadExceptionCause(doc, &cause, &error) ? std::string() : error;
}

}  // namespace

TEST_CASE("ParseExceptionCause reads type, message and frames, innermost last") {
  auto cause = ParseExceptionCause(
      R"({"exception_type":"KeyError","exception_message":"'id'","extra":1,
          "frames":[{"file":"a.py","line":3,"function":"run"},{"function":"inner"}]})");
  REQUIRE(cause.has_value());
  CHECK(cause->type == "KeyError");
  CHECK(cause->message == "'id'");
  REQUIRE(cause->frames.size() == 2);
  CHECK(cause->frames[0].file == "a.py");
  CHECK(cause->frames[0].line == 3);
  CHECK(cause->frames[1].function == "inner");
  CHECK(cause->frames[1].line == 0);
  CHECK_FALSE(ParseExceptionCause("not json").has_value());
  CHECK_FALSE(ParseExceptionCause(R"({"exception_message":"no type"})").has_value());
}

TEST_CASE("ReadExceptionCause bounds every part of the cause") {
  CHECK(CauseError(R"({"exception_type":"E","frames":null,"exception_message":null})").empty());
  CHECK(CauseError("[]") == "an exception event's payload must be an object");
  CHECK(CauseError(R"({"exception_type":""})") ==
        "payload.exception_type is required in an exception event");
  CHECK(CauseError(R"({"exception_type":"E","frames":[{"line":"3"}]})") ==
        "field \"payload.frames[0].line\" must be an integer >= 0");
  const std::string type_at_limit(limits::kMaxExceptionTypeBytes, 'E');
  CHECK(CauseError(R"({"exception_type":")" + type_at_limit + R"("})").empty());
  CHECK(CauseError(R"({"exception_type":")" + type_at_limit + R"(E"})") ==
        "payload.exception_type longer than 256 bytes");
  std::string frames = "[";
  for (size_t i = 0; i <= limits::kMaxExceptionFrames; ++i) frames += i ? ",{}" : "{}";
  CHECK(CauseError(R"({"exception_type":"E","frames":)" + frames + "]}") ==
        "payload.frames holds more than 64 frames");
}

TEST_CASE("ParseEventBatch rejects a malformed exception event alone") {
  auto batch = ParseEventBatch(
      R"([{"event_id":"a","execution_id":"e","event_type":"exception","payload":{"frames":[]}},
          {"event_id":"b","execution_id":"e","event_type":"exception"},
          {"event_id":"c","execution_id":"e","event_type":"exception",
           "payload":{"exception_type":"E"}},
          {"event_id":"d","execution_id":"e","event_type":"drift_signal","payload":7}])",
      0, false);
  REQUIRE(batch.ok());
  REQUIRE(batch->errors.size() == 2);
  CHECK(batch->errors[0].first == 0);
  CHECK(batch->errors[1].second == "an exception event needs a payload object");
  REQUIRE(batch->events.size() == 2);
  CHECK(batch->events[0].event_id == "c");
}

TEST_CASE("ParseExecutionBody reads the halt reason and the build identity within their bounds") {
  std::string project;
  auto ok = ParseExecutionBody(
      R"({"execution_id":"e","halt_reason":"over budget","code_version":"v1.2.3-4-gabc",
          "container_digest":"sha256:00ff"})",
      &project);
  REQUIRE(ok.ok());
  CHECK(ok->halt_reason == "over budget");
  CHECK(ok->code_version == "v1.2.3-4-gabc");
  CHECK(ok->container_digest == "sha256:00ff");
  CHECK(ParseExecutionBody(R"({"code_version":"a b"})", &project).status().message() ==
        "code_version may hold only letters, digits and . _ + : / @ -");
  CHECK(ParseExecutionBody(R"({"container_digest":"latest"})", &project).status().message() ==
        "container_digest must look like <algorithm>:<hex>, e.g. sha256:…");
  CHECK(ParseExecutionBody(R"({"code_version":1})", &project).status().message() ==
        "invalid JSON: field \"code_version\" must be a string");
  const std::string long_version(limits::kMaxCodeVersionBytes + 1, 'v');
  CHECK(ParseExecutionBody(R"({"code_version":")" + long_version + R"("})", &project)
            .status()
            .message() == "code_version longer than 128 bytes");
}

TEST_CASE("WriteExecution writes the cause, halt reason and identity only when known") {
  Execution e;
  e.execution_id = "e";
  JsonWriter bare;
  WriteExecution(bare, e, "p", false);
  const std::string plain = bare.Take();
  CHECK(plain.find("halt_reason") == std::string::npos);
  CHECK(plain.find("exception") == std::string::npos);
  e.halt_reason = "halted from the dashboard";
  e.code_version = "v1";
  ExceptionCause cause{"KeyError", "", {{"a.py", 0, "run"}}};
  JsonWriter w;
  WriteExecution(w, e, "p", false, &cause);
  const std::string out = w.Take();
  CHECK(out.find(R"("halt_reason":"halted from the dashboard")") != std::string::npos);
  CHECK(out.find(R"("code_version":"v1")") != std::string::npos);
  CHECK(
      out.find(R"("exception":{"type":"KeyError","frames":[{"file":"a.py","function":"run"}]})") !=
      std::string::npos);
}
