#include "server/codec/json_codec.h"

#include <doctest/doctest.h>

#include <string>

#include "detectors/detectors.h"
#include "server/limits.h"

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

TEST_CASE("ParseExecutionBody reads an execution's name within its bounds") {
  std::string project;
  auto named = ParseExecutionBody(R"({"execution_id":"e","name":"support-agent"})", &project);
  REQUIRE(named.ok());
  CHECK(named->name == "support-agent");
  const std::string longest(limits::kMaxExecutionNameBytes, 'n');
  auto at_limit =
      ParseExecutionBody(R"({"execution_id":"e","name":")" + longest + R"("})", &project);
  REQUIRE(at_limit.ok());
  CHECK(at_limit->name == longest);
  CHECK(ParseExecutionBody(R"({"execution_id":"e","name":")" + longest + R"(n"})", &project)
            .status()
            .message() == "name longer than 200 bytes");
  CHECK(ParseExecutionBody(R"({"execution_id":"e","name":"a\nb"})", &project).status().message() ==
        "name must not contain control characters");
  CHECK(ParseExecutionBody(R"({"execution_id":"e","name":7})", &project).status().message() ==
        "invalid JSON: field \"name\" must be a string");
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

TEST_CASE("Both extractions read cached and reasoning token counts when they are integers") {
  const char* payload =
      R"({"model":"gpt-4o","input_tokens":100,"output_tokens":50,"cached_input_tokens":80,
          "reasoning_tokens":"30"})";
  auto stored = ExtractPayloadFields(payload);
  CHECK(stored.cached_input_tokens == 80);
  CHECK_FALSE(stored.reasoning_tokens.has_value());
  auto batch = ParseEventBatch(std::string(R"([{"event_id":"a","execution_id":"e",)") +
                                   R"("event_type":"llm_call","payload":)" + payload + "}]",
                               0, false);
  REQUIRE(batch.ok());
  REQUIRE(batch->events.size() == 1);
  CHECK(batch->events[0].fields.cached_input_tokens == 80);
  CHECK_FALSE(batch->events[0].fields.reasoning_tokens.has_value());
}

TEST_CASE("context_sha256 is read only in its documented form; anything else is ignored") {
  const std::string digest = "3d5a0c8f7e2b4a6190d1e3f5a7b9c0d2e4f6a8b0c1d3e5f7a9b1c3d5e7f9a1b3";
  auto f = ExtractPayloadFields(R"({"model":"m","context_sha256":")" + digest + R"("})");
  CHECK(f.context_digest == 0x3d5a0c8f7e2b4a61ull);
  const std::string malformed[] = {
      R"({"context_sha256":"3D5A0C8F7E2B4A6190D1E3F5A7B9C0D2E4F6A8B0C1D3E5F7A9B1C3D5E7F9A1B3"})",
      R"({"context_sha256":"3d5a0c8f"})",
      R"({"context_sha256":"3d5a0c8f7e2b4a6190d1e3f5a7b9c0d2e4f6a8b0c1d3e5f7a9b1c3d5e7f9a1b3a"})",
      R"({"context_sha256":"zd5a0c8f7e2b4a6190d1e3f5a7b9c0d2e4f6a8b0c1d3e5f7a9b1c3d5e7f9a1b3"})",
      R"({"context_sha256":42})",
  };
  for (const std::string& payload : malformed) {
    CAPTURE(payload);
    const PayloadFields g = ExtractPayloadFields(payload);
    CHECK_FALSE(g.context_digest.has_value());
  }
  // The event itself is accepted either way: the payload is stored as sent.
  auto r = ParseEventBatch(R"([{"event_id":"a","execution_id":"e","event_type":"llm_call",
      "payload":{"context_sha256":"nope","user_message":"hi"}},
      {"event_id":"b","execution_id":"e","event_type":"llm_call",
      "payload":{"context_sha256":")" +
                               digest + R"(","response_text":"ok"}}])",
                           0, true);
  REQUIRE(r.ok());
  REQUIRE(r->events.size() == 2);
  CHECK_FALSE(r->events[0].fields.context_digest.has_value());
  CHECK(r->events[0].fields.identical_call_hash == IdenticalCallHash("", "hi"));
  CHECK(r->events[1].fields.context_digest == 0x3d5a0c8f7e2b4a61ull);
  CHECK(r->events[1].fields.response_digest == ContentDigest("ok"));
}

TEST_CASE("Both extractions mark a call that asked nothing or asked for tools alike") {
  struct Case {
    const char* payload;
    bool no_user_message, asked_for_tools;
  };
  const Case cases[] = {
      {R"({"user_message":"hi","response_text":"hello"})", false, false},
      {R"({"user_message":"","response_text":""})", true, true},
      {R"({"model":"m"})", true, false},  // nothing says what it answered
      {R"({"user_message":"hi","status":"ok","response_text":null})", false, false},
      {R"({"user_message":"hi","response_text":"","status":"failed"})", false, false},
      {R"({"user_message":"hi","tool_calls":[{"name":"search","arguments":"{}"}]})", false, true},
      {R"({"user_message":"hi","response_text":"x","tool_calls":[{"name":"f"}]})", false, true},
      {R"({"user_message":"hi","response_text":"x","tool_calls":[]})", false, false},
  };
  for (const Case& c : cases) {
    CAPTURE(c.payload);
    const PayloadFields full = ExtractPayloadFields(c.payload);
    CHECK(full.no_user_message == c.no_user_message);
    CHECK(full.asked_for_tools == c.asked_for_tools);
    auto batch = ParseEventBatch(std::string(R"([{"event_id":"a","execution_id":"e",)") +
                                     R"("event_type":"llm_call","payload":)" + c.payload + "}]",
                                 0, true);
    REQUIRE(batch.ok());
    REQUIRE(batch->events.size() == 1);
    CHECK(batch->events[0].fields.no_user_message == c.no_user_message);
    CHECK(batch->events[0].fields.asked_for_tools == c.asked_for_tools);
  }
}

TEST_CASE("Both extractions give a tool call the same loop key and result digest") {
  const std::string payload =
      R"({"tool_name":"search","arguments":{ "q" : "x", "n" : [1, 2] },"status":"ok",)"
      R"("result_summary":"short","result_text":"the full result"})";
  const PayloadFields stored = ExtractPayloadFields(payload);
  CHECK(stored.tool_call_hash == ToolCallHash("search", R"({"q":"x","n":[1,2]})"));
  CHECK(stored.tool_result_digest ==
        ToolResultDigest("ok", "the full result", "short", std::nullopt, std::nullopt));
  CHECK(stored.result_text == "the full result");
  CHECK(stored.result_summary == "short");
  auto r = ParseEventBatch(
      R"([{"event_id":"a","execution_id":"e","event_type":"tool_call","payload":)" + payload + "}]",
      0, true);
  REQUIRE(r.ok());
  REQUIRE(r->events.size() == 1);
  const PayloadFields& live = r->events[0].fields;
  CHECK(live.tool_call_hash == stored.tool_call_hash);
  CHECK(live.tool_result_digest == stored.tool_result_digest);
  CHECK_FALSE(live.result_text.has_value());  // only a final pass reads the text itself
  // Without a result there is nothing to compare; detection off, nothing is computed.
  CHECK_FALSE(ExtractPayloadFields(R"({"tool_name":"t","status":"ok"})").tool_result_digest);
  auto off = ParseEventBatch(
      R"([{"event_id":"a","execution_id":"e","event_type":"tool_call","payload":)" + payload + "}]",
      0, false);
  REQUIRE(off.ok());
  CHECK_FALSE(off->events[0].fields.tool_call_hash.has_value());
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

TEST_CASE(
    "CompleteMappedEvent gives a built event the fields and checks of a POST /events element") {
  const std::string payload =
      R"({"tool_name":"search","arguments":{"q":"x"},"status":"ok","result_text":"none",)"
      R"("model":"gpt-4o","input_tokens":7})";
  auto batch = ParseEventBatch(R"([{"event_id":"a","execution_id":"e","event_type":"tool_call",)"
                               R"("payload":)" +
                                   payload + "}]",
                               0, true);
  REQUIRE(batch.ok());
  REQUIRE(batch->events.size() == 1);
  const Event& parsed = batch->events[0];
  Event built;
  built.event_id = "a";
  built.execution_id = "e";
  built.event_type = "tool_call";
  built.payload_json = payload;
  std::string error;
  REQUIRE(CompleteMappedEvent(&built, true, &error));
  CHECK(built.type == EventType::kToolCall);
  CHECK(built.fields.tool_call_hash == parsed.fields.tool_call_hash);
  REQUIRE(built.fields.tool_call_hash.has_value());
  CHECK(built.fields.tool_result_digest == parsed.fields.tool_result_digest);
  CHECK(built.fields.model == parsed.fields.model);
  CHECK(built.fields.input_tokens == 7);

  Event missing = built;
  missing.event_id.clear();
  CHECK_FALSE(CompleteMappedEvent(&missing, true, &error));
  CHECK(error == "event_id is required");
  Event huge = built;
  huge.payload_json = "\"" + std::string(limits::kMaxPayloadBytes, 'x') + "\"";
  CHECK_FALSE(CompleteMappedEvent(&huge, true, &error));
  CHECK(error.find("payload larger than") == 0);
  Event control = built;
  control.execution_id = "e\x01";
  CHECK_FALSE(CompleteMappedEvent(&control, true, &error));
}
