#include "server/codec/cause_codec.h"

#include <doctest/doctest.h>

#include <string>

#include "server/codec/json_codec.h"
#include "server/limits.h"

using namespace vigil;

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
}

TEST_CASE("A payload without a string exception_type holds no cause") {
  CHECK_FALSE(ParseExceptionCause("not json").has_value());
  CHECK_FALSE(ParseExceptionCause("[]").has_value());
  CHECK_FALSE(ParseExceptionCause(R"({"exception_message":"no type"})").has_value());
  CHECK_FALSE(ParseExceptionCause(R"({"exception_type":""})").has_value());
  CHECK_FALSE(ParseExceptionCause(R"({"exception_type":3})").has_value());
}

TEST_CASE("ReadExceptionCause ignores members of another type and cuts to the bounds") {
  auto cause = ParseExceptionCause(
      R"({"exception_type":"E","exception_message":7,
          "frames":["main.py:3",{"file":9,"line":-1,"function":"f"},{"line":"4"}]})");
  REQUIRE(cause.has_value());
  CHECK(cause->message.empty());
  REQUIRE(cause->frames.size() == 2);  // the string is not a frame
  CHECK(cause->frames[0].file.empty());
  CHECK(cause->frames[0].line == 0);
  CHECK(cause->frames[0].function == "f");
  CHECK(cause->frames[1].line == 0);

  // A long type is cut at a character boundary; a deep stack keeps its innermost frames.
  std::string type;
  while (type.size() < limits::kMaxExceptionTypeBytes + 10) type += "\u00e9";  // é, 2 bytes
  std::string frames = "[";
  for (size_t i = 0; i < limits::kMaxExceptionFrames + 6; ++i) {
    frames += (i ? "," : "") + std::string(R"({"line":)") + std::to_string(i + 1) + "}";
  }
  auto cut =
      ParseExceptionCause(R"({"exception_type":")" + type + R"(","frames":)" + frames + "]}");
  REQUIRE(cut.has_value());
  CHECK(cut->type.size() == limits::kMaxExceptionTypeBytes);
  CHECK(cut->type.substr(0, 2) == "\xc3\xa9");
  REQUIRE(cut->frames.size() == limits::kMaxExceptionFrames);
  CHECK(cut->frames.front().line == 7);
  CHECK(cut->frames.back().line == static_cast<int64_t>(limits::kMaxExceptionFrames + 6));
}

TEST_CASE(
    "ParseEventBatch accepts an exception event of any shape, as the protocol stores any payload") {
  auto batch = ParseEventBatch(
      R"([{"event_id":"a","execution_id":"e","event_type":"exception","payload":{"frames":[]}},
          {"event_id":"b","execution_id":"e","event_type":"exception"},
          {"event_id":"c","execution_id":"e","event_type":"exception",
           "payload":{"exception_type":"E"}}])",
      0, false);
  REQUIRE(batch.ok());
  CHECK(batch->errors.empty());
  CHECK(batch->events.size() == 3);
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
