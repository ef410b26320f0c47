#include "server/codec/json_codec.h"

#include <doctest/doctest.h>

#include <string>

#include "detectors/detectors.h"

using namespace vigil;

TEST_CASE("ParseEventBatch rejects bad events alone and keeps the good ones in order") {
  const std::string body = R"([
    {"event_id":"a","execution_id":"e","event_type":"llm_call","sequence":2,
     "payload":{ "model" : "gpt-4o" }},
    {"event_id":"b","execution_id":"e"},
    "nope",
    {"event_id":"c","execution_id":"e","event_type":"tool_call","timestamp":"2026-01-01T00:00:00Z"}
  ])";
  auto r = ParseEventBatch(body, 42, true);
  REQUIRE(r.ok());
  CHECK(r->total == 4);
  REQUIRE(r->events.size() == 2);
  CHECK(r->events[0].event_id == "a");
  CHECK(r->events[0].sequence == 2);
  CHECK(r->events[0].timestamp_ms == 42);
  CHECK(r->events[0].payload_json == R"({"model":"gpt-4o"})");
  CHECK(r->events[1].payload_json == "null");
  CHECK(r->events[1].timestamp_ms == 1767225600000);
  REQUIRE(r->errors.size() == 2);
  CHECK(r->errors[0] == std::make_pair(size_t{1}, std::string("event_type is required")));
  CHECK(r->errors[1] == std::make_pair(size_t{2}, std::string("event must be a JSON object")));
}

TEST_CASE(
    "ParseEventBatch carries the fields ingestion reads and an llm_call's identical-call hash") {
  const std::string body = R"([
    {"event_id":"a","payload":{"model":"m","user_message":"hi","input_tokens":7,
     "output_tokens":2.5,"status":"failed"},"execution_id":"e","event_type":"llm_call"},
    {"event_id":"b","execution_id":"e","event_type":"llm_call"},
    {"event_id":"c","execution_id":"e","event_type":"tool_call","payload":{"user_message":"hi"}},
    {"event_id":"d","execution_id":"e","event_type":"llm_call",
     "payload":{"model":"m","user_message":"hi"},"payload":null}
  ])";
  auto r = ParseEventBatch(body, 0, true);
  REQUIRE(r.ok());
  REQUIRE(r->events.size() == 4);
  const PayloadFields& a = r->events[0].fields;
  CHECK(a.model == "m");
  CHECK(a.input_tokens == 7);
  CHECK_FALSE(a.output_tokens.has_value());  // integers only
  // The hash is computed here, even though event_type came after the payload...
  CHECK(a.identical_call_hash == IdenticalCallHash("m", "hi"));
  // ...and the strings only a final pass reads are not copied into the batch.
  CHECK_FALSE(a.user_message.has_value());
  CHECK_FALSE(a.status.has_value());
  // No payload: the key of an empty model and message, as the detector computes it.
  CHECK(r->events[1].fields.identical_call_hash == IdenticalCallHash("", ""));
  CHECK_FALSE(r->events[2].fields.identical_call_hash.has_value());  // not an llm_call
  // A later null payload replaces an earlier one, fields included.
  CHECK(r->events[3].payload_json == "null");
  CHECK_FALSE(r->events[3].fields.model.has_value());
  CHECK(r->events[3].fields.identical_call_hash == IdenticalCallHash("", ""));
}

TEST_CASE("ParseEventBatch hashes llm_calls only when asked (detection off: nothing reads it)") {
  auto r = ParseEventBatch(
      R"([{"event_id":"a","execution_id":"e","event_type":"llm_call","payload":{"model":"m"}}])", 0,
      false);
  REQUIRE(r.ok());
  REQUIRE(r->events.size() == 1);
  CHECK(r->events[0].fields.model == "m");
  CHECK_FALSE(r->events[0].fields.identical_call_hash.has_value());
}

TEST_CASE("ParseEventBatch whole-body errors") {
  CHECK(ParseEventBatch("", 0, true).status().message() == "invalid JSON: empty body");
  CHECK(ParseEventBatch("[]", 0, true).status().message() == "empty event batch");
  CHECK(ParseEventBatch("null", 0, true).status().message() == "empty event batch");
  CHECK(ParseEventBatch("{}", 0, true).status().message() ==
        "invalid JSON: expected an array of events");
  std::string many = "[";
  for (int i = 0; i < 1001; ++i) many += i ? ",1" : "1";
  many += "]";
  CHECK(ParseEventBatch(many, 0, true).status().code() == Code::kTooLarge);
}

TEST_CASE("JSON nesting deeper than 64 levels is refused") {
  const std::string ok = std::string(64, '[') + std::string(64, ']');
  const std::string deep = std::string(65, '[') + std::string(65, ']');
  CHECK(ParseEventBatch(ok, 0, true).ok());
  CHECK(ParseEventBatch(deep, 0, true).status().message() ==
        "invalid JSON: nesting deeper than 64");
}

TEST_CASE("ParseExecutionBody maps types and ranges to wire messages") {
  std::string project;
  CHECK(ParseExecutionBody(R"({"execution_id":"e","status":"bad"})", &project).status().message() ==
        "invalid status: bad");
  CHECK(
      ParseExecutionBody(R"({"execution_id":"e","duration_ms":-1})", &project).status().message() ==
      "field \"duration_ms\" must be >= 0");
  CHECK(ParseExecutionBody(R"({"execution_id":"e","duration_ms":"1"})", &project)
            .status()
            .message() == "invalid JSON: field \"duration_ms\" must be an integer");
  auto ok = ParseExecutionBody(
      R"({"execution_id":"e","project_id":"p","budget":{"max_steps":3,"auto_halt":true},
          "estimated_cost_usd":0.5,"execution_id":"e2"})",
      &project);
  REQUIRE(ok.ok());
  CHECK(ok->execution_id == "e2");  // repeated key: last wins
  CHECK(project == "p");
  REQUIRE(ok->budget.has_value());
  CHECK(ok->budget->max_steps == 3);
  CHECK(ok->budget->auto_halt == true);
  CHECK(ok->estimated_cost_usd == doctest::Approx(0.5));
}

TEST_CASE("ExtractPayloadFields reads only correctly typed fields") {
  auto f = ExtractPayloadFields(
      R"({"model":"m","user_message":"u","input_tokens":12,"output_tokens":1.5,"passed":false,
          "tool_name":7})");
  CHECK(f.model == "m");
  CHECK(f.user_message == "u");
  CHECK(f.input_tokens == 12);
  CHECK_FALSE(f.output_tokens.has_value());
  CHECK_FALSE(f.tool_name.has_value());
  CHECK(f.passed_is_false);
  CHECK(ExtractPayloadFields(R"({"passed":0})").passed_is_false);
  CHECK_FALSE(ExtractPayloadFields(R"({"passed":1})").passed_is_false);
  CHECK_FALSE(ExtractPayloadFields("not json").model.has_value());
}

TEST_CASE("ExtractPayloadFields reads a tool call's result_text and result_summary") {
  auto f = ExtractPayloadFields(
      R"({"tool_name":"web_search","result_summary":"short","result_text":"the whole page"})");
  CHECK(f.result_summary == "short");
  CHECK(f.result_text == "the whole page");
  f = ExtractPayloadFields(R"({"tool_name":"t","result_summary":{"a":1},"result_text":null})");
  CHECK_FALSE(f.result_summary.has_value());
  CHECK_FALSE(f.result_text.has_value());
}

TEST_CASE("JsonWriter escapes control characters and keeps key order") {
  JsonWriter w;
  w.BeginObject().Field("b", std::string("a\"\\\n\x01")).Field("a", int64_t{1});
  w.Key("list").BeginArray().Int(1).Double(0.078).Bool(false).Null().EndArray().EndObject();
  CHECK(w.str() == R"({"b":"a\"\\\n\u0001","a":1,"list":[1,0.078,false,null]})");
}
