#include "server/otlp/mapping.h"

#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/hash.h"
#include "server/codec/json_codec.h"
#include "server/limits.h"
#include "server/otlp/gzip.h"
#include "server/otlp/messages.h"
#include "server/otlp/span_owners.h"
#include "server/otlp/stacktrace.h"
#include "tests/server/otlp/span_builder.h"

// Named, not anonymous: the unity build joins test files, and these helpers must not meet theirs.
namespace otlp_mapping_test {
using namespace vigil;
using namespace vigil::otlp;

using vigil::otlp::test::EventOfType;
using vigil::otlp::test::Int;
using vigil::otlp::test::kTrace;
using vigil::otlp::test::MakeSpan;
using vigil::otlp::test::Str;

TEST_CASE("An LLM span's trailing tool results reach its llm_call payload, cut to 16 KiB") {
  const Span chat =
      MakeSpan("0000000000000002", "0000000000000001",
               {Str("gen_ai.operation.name", "chat"), Str("gen_ai.request.model", "gpt-4o"),
                Str("gen_ai.input.messages", R"([{"role":"user","content":"read it"},
           {"role":"assistant","content":null},{"role":"tool","content":")" +
                                                 std::string(20000, 'x') + R"("}])")});
  const MappedTraces m = MapSpans({chat});
  const MappedEvent* e = EventOfType(m, "llm_call");
  REQUIRE(e != nullptr);
  const PayloadFields f = ExtractPayloadFields(e->payload_json);
  REQUIRE(f.tool_results_text.has_value());
  CHECK(f.tool_results_text->size() == limits::kMaxOtlpTextBytes);
  CHECK(f.user_message == "read it");
}

TEST_CASE("ClassifySpan follows the priority order of the attribute conventions") {
  CHECK(ClassifySpan(MakeSpan("a", "", {Str("gen_ai.operation.name", "chat")})) ==
        SpanRole::kLlmCall);
  CHECK(ClassifySpan(MakeSpan("a", "", {Str("gen_ai.operation.name", "generate_content")})) ==
        SpanRole::kLlmCall);
  CHECK(ClassifySpan(MakeSpan("a", "", {Str("gen_ai.operation.name", "execute_tool")})) ==
        SpanRole::kToolCall);
  CHECK(ClassifySpan(MakeSpan("a", "", {Str("gen_ai.operation.name", "invoke_agent")})) ==
        SpanRole::kAgent);
  // OpenInference's kind wins over the operation name.
  CHECK(ClassifySpan(MakeSpan("a", "",
                              {Str("gen_ai.operation.name", "chat"),
                               Str("openinference.span.kind", "TOOL")})) == SpanRole::kToolCall);
  CHECK(ClassifySpan(MakeSpan("a", "", {Str("ai.operationId", "ai.generateText.doGenerate")})) ==
        SpanRole::kLlmCall);
  CHECK(ClassifySpan(MakeSpan("a", "", {Str("ai.operationId", "ai.generateText")})) ==
        SpanRole::kOther);
  CHECK(ClassifySpan(MakeSpan("a", "", {Str("ai.operationId", "ai.toolCall")})) ==
        SpanRole::kToolCall);
  CHECK(ClassifySpan(MakeSpan("a", "", {Str("gen_ai.tool.name", "x")})) == SpanRole::kToolCall);
  CHECK(ClassifySpan(MakeSpan("a", "", {Str("gen_ai.request.model", "m")})) == SpanRole::kLlmCall);
  CHECK(ClassifySpan(MakeSpan("a", "", {Str("http.method", "GET")})) == SpanRole::kOther);
}

TEST_CASE("A chat span becomes an llm_call with model, tokens and messages") {
  const Span root = MakeSpan("0000000000000001", "", {Str("gen_ai.agent.name", "planner")}, 1);
  const Span chat = MakeSpan(
      "0000000000000002", "0000000000000001",
      {Str("gen_ai.operation.name", "chat"), Str("gen_ai.request.model", "gpt-4o"),
       Int("gen_ai.usage.input_tokens", 100), Int("gen_ai.usage.output_tokens", 20),
       Int("gen_ai.usage.cache_read.input_tokens", 40),
       Str("gen_ai.system_instructions", R"([{"type":"text","content":"Be brief."}])"),
       Str("gen_ai.input.messages",
           R"([{"role":"user","parts":[{"type":"text","content":"first"}]},
               {"role":"assistant","parts":[{"type":"tool_call","id":"1","name":"f"}]},
               {"role":"user","parts":[{"type":"text","content":"second"}]}])"),
       Str("gen_ai.output.messages",
           R"([{"role":"assistant","parts":[{"type":"text","content":"done"}],"finish_reason":"stop"}])")},
      2);
  const MappedTraces m = MapSpans({chat, root});
  REQUIRE(m.events.size() == 1);
  const MappedEvent& e = m.events[0];
  CHECK(e.event_type == "llm_call");
  CHECK(e.execution_id == std::string("otel-") + kTrace);
  CHECK(e.event_id == std::string("otel-") + kTrace + "-0000000000000002");
  CHECK(e.timestamp_ms == 2000);
  CHECK(e.duration_ms == 500);
  const PayloadFields f = ExtractPayloadFields(e.payload_json);
  CHECK(f.model == "gpt-4o");
  CHECK(f.input_tokens == 100);
  CHECK(f.output_tokens == 20);
  CHECK(f.cached_input_tokens == 40);
  CHECK(f.system_prompt == "Be brief.");
  CHECK(f.user_message == "second");
  CHECK(f.response_text == "done");
  CHECK(f.status == "ok");
  REQUIRE(m.executions.size() == 1);
  CHECK(m.executions[0].name == "planner");
  CHECK(m.executions[0].status == ExecutionStatus::kCompleted);
  CHECK(m.executions[0].started_at_ms == 1000);
  CHECK(m.executions[0].ended_at_ms == 1500);
}

TEST_CASE("The older indexed prompt and completion attributes are read") {
  const Span chat = MakeSpan(
      "0000000000000002", "0000000000000001",
      {Str("gen_ai.request.model", "claude"), Str("gen_ai.prompt.0.role", "system"),
       Str("gen_ai.prompt.0.content", "sys"), Str("gen_ai.prompt.1.role", "user"),
       Str("gen_ai.prompt.1.content", "question"), Str("gen_ai.completion.0.role", "assistant"),
       Str("gen_ai.completion.0.content", "answer")});
  const MappedTraces m = MapSpans({chat});
  const PayloadFields f = ExtractPayloadFields(m.events.at(0).payload_json);
  CHECK(f.system_prompt == "sys");
  CHECK(f.user_message == "question");
  CHECK(f.response_text == "answer");
  CHECK(m.executions.empty());  // the root has not arrived
}

TEST_CASE("Vercel AI SDK spans: doGenerate is the llm_call, ai.toolCall the tool_call") {
  const Span outer = MakeSpan(
      "0000000000000001", "",
      {Str("ai.operationId", "ai.generateText"), Str("ai.telemetry.functionId", "weather")});
  const Span call = MakeSpan(
      "0000000000000002", "0000000000000001",
      {Str("ai.operationId", "ai.generateText.doGenerate"), Str("ai.model.id", "mock-model"),
       Int("ai.usage.inputTokens", 3), Int("ai.usage.outputTokens", 4),
       Str("ai.prompt.messages",
           R"([{"role":"system","content":"sys"},{"role":"user","content":[{"type":"text","text":"hi"}]}])"),
       Str("ai.response.text", "hello")});
  const Span tool = MakeSpan(
      "0000000000000003", "0000000000000001",
      {Str("ai.operationId", "ai.toolCall"), Str("ai.toolCall.name", "weather"),
       Str("ai.toolCall.args", R"({"city":"Paris"})"), Str("ai.toolCall.result", "sunny")});
  const MappedTraces m = MapSpans({outer, call, tool});
  REQUIRE(m.events.size() == 2);
  const PayloadFields llm = ExtractPayloadFields(EventOfType(m, "llm_call")->payload_json);
  CHECK(llm.model == "mock-model");
  CHECK(llm.input_tokens == 3);
  CHECK(llm.user_message == "hi");
  CHECK(llm.system_prompt == "sys");
  CHECK(llm.response_text == "hello");
  const PayloadFields t = ExtractPayloadFields(EventOfType(m, "tool_call")->payload_json);
  CHECK(t.tool_name == "weather");
  CHECK(t.result_text == "sunny");
  CHECK(EventOfType(m, "tool_call")->payload_json.find(R"("arguments":{"city":"Paris"})") !=
        std::string::npos);
  CHECK(m.executions.at(0).name == "weather");
}

TEST_CASE("A failed execute_tool span is a failed tool_call named by its tool") {
  Span tool =
      MakeSpan("0000000000000002", "0000000000000001",
               {Str("gen_ai.operation.name", "execute_tool"), Str("gen_ai.tool.name", "search"),
                Str("gen_ai.tool.call.result", "line one\nline two")});
  tool.status = StatusCode::kError;
  tool.status_message = "timeout";
  const PayloadFields f = ExtractPayloadFields(MapSpans({tool}).events.at(0).payload_json);
  CHECK(f.tool_name == "search");
  CHECK(f.status == "failed");
  CHECK(f.result_summary == "line one");
  CHECK(f.result_text == "line one\nline two");
}

TEST_CASE("A root span with ERROR and an exception crashes the execution with its cause") {
  Span root = MakeSpan("0000000000000001", "", {});
  root.name = "agent run";
  root.status = StatusCode::kError;
  SpanEvent ex;
  ex.name = "exception";
  ex.time_unix_nano = root.start_unix_nano + 100;
  ex.attributes = {Str("exception.type", "KeyError"), Str("exception.message", "'id'"),
                   Str("exception.stacktrace", "Traceback...\nKeyError: 'id'")};
  root.events = {ex};
  const MappedTraces m = MapSpans({root});
  REQUIRE(m.executions.size() == 1);
  CHECK(m.executions[0].name == "agent run");
  CHECK(m.executions[0].status == ExecutionStatus::kCrashed);
  CHECK(m.executions[0].crash_signature ==
        "KeyError:" + Sha256Hex("Traceback...\nKeyError: 'id'").substr(0, 8));
  const MappedEvent* e = EventOfType(m, "exception");
  REQUIRE(e != nullptr);
  CHECK(e->payload_json.find(R"("exception_type":"KeyError")") != std::string::npos);
  CHECK(e->payload_json.find(R"("exception_message":"'id'")") != std::string::npos);
}

TEST_CASE("A nested invoke_agent span becomes a child execution holding its spans") {
  const Span root =
      MakeSpan("0000000000000001", "",
               {Str("gen_ai.operation.name", "invoke_agent"), Str("gen_ai.agent.name", "boss")});
  const Span sub =
      MakeSpan("0000000000000002", "0000000000000001",
               {Str("gen_ai.operation.name", "invoke_agent"), Str("gen_ai.agent.name", "helper")});
  const Span chat =
      MakeSpan("0000000000000003", "0000000000000002", {Str("gen_ai.operation.name", "chat")});
  const MappedTraces m = MapSpans({root, sub, chat});
  const std::string parent = std::string("otel-") + kTrace;
  const std::string child = parent + "-0000000000000002";
  REQUIRE(m.executions.size() == 2);
  CHECK(m.executions[0].execution_id == parent);
  CHECK(m.executions[1].execution_id == child);
  CHECK(m.executions[1].parent_execution_id == parent);
  CHECK(m.executions[1].name == "helper");
  REQUIRE(m.events.size() == 1);
  CHECK(m.events[0].execution_id == child);
}

TEST_CASE("Other spans are checkpoints, ordered by start time then span id") {
  const Span b = MakeSpan("00000000000000bb", "0000000000000001", {Str("http.method", "GET")}, 5);
  const Span a = MakeSpan("00000000000000aa", "0000000000000001", {}, 5);
  const Span first = MakeSpan("00000000000000cc", "0000000000000001", {}, 3);
  const MappedTraces m = MapSpans({b, a, first});
  REQUIRE(m.events.size() == 3);
  CHECK(m.events[0].event_id.substr(m.events[0].event_id.size() - 2) == "cc");
  CHECK(m.events[1].event_id.substr(m.events[1].event_id.size() - 2) == "aa");
  CHECK(m.events[2].event_id.substr(m.events[2].event_id.size() - 2) == "bb");
  CHECK(m.events[0].event_type == "checkpoint");
  CHECK(m.events[0].sequence < m.events[1].sequence);
}

TEST_CASE("A cycle of parent ids does not hang the mapping") {
  const Span x = MakeSpan("000000000000000a", "000000000000000b", {});
  const Span y = MakeSpan("000000000000000b", "000000000000000a", {});
  const MappedTraces m = MapSpans({x, y});
  CHECK(m.events.size() == 2);
  CHECK(m.events[0].execution_id == std::string("otel-") + kTrace);
}

TEST_CASE("Gunzip inflates gzip, bounds the output and refuses other bytes") {
  // gzip of "hello\n" (gzip -n).
  const std::string gz(
      "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xcb\x48\xcd\xc9\xc9\xe7\x02\x00"
      "\x20\x30\x3a\x36\x06\x00\x00\x00",
      26);
  auto out = Gunzip(gz, 100);
  REQUIRE(out.ok());
  CHECK(out.value() == "hello\n");
  CHECK(Gunzip(gz, 3).status().code() == Code::kTooLarge);
  CHECK(Gunzip("not gzip at all", 100).status().code() == Code::kInvalidArgument);
  CHECK(Gunzip(gz.substr(0, 15), 100).status().code() == Code::kInvalidArgument);
}

TEST_CASE("CutUtf8 never splits a character") {
  CHECK(CutText("h\xc3\xa9llo", 2) == "h");
  CHECK(CutText("abc", 5) == "abc");
}

TEST_CASE("ParseStacktrace reads Python and V8 stacks, innermost frame last") {
  const auto py = ParseStacktrace(
      "Traceback (most recent call last):\n"
      "  File \"/app/main.py\", line 12, in <module>\n    run()\n"
      "  File \"/app/agent.py\", line 3, in run\n    raise KeyError('id')\n"
      "KeyError: 'id'\n");
  REQUIRE(py.size() == 2);
  CHECK(py[0].file == "/app/main.py");
  CHECK(py[0].line == 12);
  CHECK(py[1].function == "run");
  const auto js = ParseStacktrace(
      "ParseError: unexpected token\n"
      "    at parse (/app/parse.js:10:5)\n"
      "    at file:///app/main.js:3:1\n"
      "    at com.acme.Agent.run(Agent.java:42)\n");
  REQUIRE(js.size() == 3);
  CHECK(js[2].function == "parse");
  CHECK(js[2].file == "/app/parse.js");
  CHECK(js[2].line == 10);
  CHECK(js[1].file == "file:///app/main.js");
  CHECK(js[1].line == 3);
  CHECK(js[0].function == "com.acme.Agent.run");
  CHECK(js[0].file == "Agent.java");
  CHECK(ParseStacktrace("no frames here").empty());
}

TEST_CASE("A crash's exception event carries the parsed frames") {
  Span root = MakeSpan("0000000000000001", "", {});
  root.status = StatusCode::kError;
  SpanEvent ex;
  ex.name = "exception";
  ex.attributes = {Str("exception.type", "TypeError"),
                   Str("exception.stacktrace", "TypeError: x\n    at run (/a.js:2:3)")};
  root.events = {ex};
  const MappedTraces m = MapSpans({root});
  const MappedEvent* e = EventOfType(m, "exception");
  REQUIRE(e != nullptr);
  CHECK(e->payload_json.find(R"("frames":[{"file":"/a.js","line":2,"function":"run"}])") !=
        std::string::npos);
}

TEST_CASE("A root span is a call only when its operation says so, never by its usage sums") {
  const Span summing_root =
      MakeSpan("0000000000000001", "",
               {Str("gen_ai.request.model", "gpt-4o"), Int("gen_ai.usage.input_tokens", 900)});
  CHECK(MapSpans({summing_root}).events.empty());
  const Span one_call =
      MakeSpan("0000000000000001", "",
               {Str("gen_ai.operation.name", "chat"), Int("gen_ai.usage.input_tokens", 9)});
  const MappedTraces m = MapSpans({one_call});
  REQUIRE(m.events.size() == 1);
  CHECK(m.events[0].event_type == "llm_call");
  CHECK(m.executions.size() == 1);
}

TEST_CASE("Span names and models are cut, so no span is refused for a long one") {
  Span chat = MakeSpan("0000000000000002", "0000000000000001",
                       {Str("gen_ai.operation.name", "chat"),
                        Str("gen_ai.request.model", std::string(100000, 'm'))});
  chat.name = std::string(300000, 'n');
  Span other = MakeSpan("0000000000000003", "0000000000000001", {});
  other.name = chat.name;
  const MappedTraces m = MapSpans({chat, other});
  REQUIRE(m.events.size() == 2);
  for (const MappedEvent& e : m.events) CHECK(e.payload_json.size() < 2000);
}

TEST_CASE("OpenLLMetry tool spans and OpenInference messages are read") {
  const Span tool = MakeSpan(
      "0000000000000002", "0000000000000001",
      {Str("traceloop.span.kind", "tool"), Str("traceloop.entity.name", "search_web"),
       Str("traceloop.entity.input", R"({"q":"x"})"), Str("traceloop.entity.output", "result")});
  const Span task =
      MakeSpan("0000000000000003", "0000000000000001",
               {Str("traceloop.span.kind", "task"), Str("gen_ai.request.model", "gpt-4o")});
  const Span llm =
      MakeSpan("0000000000000004", "0000000000000001",
               {Str("openinference.span.kind", "LLM"), Str("llm.model_name", "claude"),
                Int("llm.token_count.prompt", 11), Str("llm.input_messages.0.message.role", "user"),
                Str("llm.input_messages.0.message.contents.0.message_content.text", "parts form")});
  const MappedTraces m = MapSpans({tool, task, llm});
  REQUIRE(m.events.size() == 3);
  const PayloadFields t = ExtractPayloadFields(m.events[0].payload_json);
  CHECK(m.events[0].event_type == "tool_call");
  CHECK(t.tool_name == "search_web");
  CHECK(t.result_text == "result");
  CHECK(m.events[1].event_type == "llm_call");
  const PayloadFields l = ExtractPayloadFields(m.events[2].payload_json);
  CHECK(l.model == "claude");
  CHECK(l.input_tokens == 11);
  CHECK(l.user_message == "parts form");
}

TEST_CASE("A span under a nested agent of an earlier request lands in that agent's execution") {
  const Span sub =
      MakeSpan("0000000000000002", "0000000000000001",
               {Str("gen_ai.operation.name", "invoke_agent"), Str("gen_ai.agent.name", "helper")});
  const Span tool =
      MakeSpan("0000000000000004", "0000000000000002", {Str("gen_ai.operation.name", "chat")});
  const std::string parent = std::string("otel-") + kTrace;
  const std::string child = parent + "-0000000000000002";
  // The first request brings the agent span (its root not yet): it names what it owns.
  const MappedTraces first = MapSpans({sub, tool});
  REQUIRE(first.child_owners.size() == 2);
  CHECK(first.child_owners[0].span_id == "0000000000000002");
  CHECK(first.child_owners[0].execution_id == child);
  CHECK(first.child_owners[1].execution_id == child);
  // A later request: a grandchild under the earlier chat span, and a span under the root.
  const Span late =
      MakeSpan("0000000000000005", "0000000000000004", {Str("gen_ai.operation.name", "chat")});
  const Span other =
      MakeSpan("0000000000000006", "0000000000000001", {Str("gen_ai.operation.name", "chat")});
  std::vector<std::string> asked;
  const MappedTraces second =
      MapSpans({late, other}, [&](std::string_view trace, std::string_view span) {
        asked.emplace_back(span);
        for (const SpanOwner& o : first.child_owners) {
          if (o.trace_id == trace && o.span_id == span) return std::optional(o.execution_id);
        }
        return std::optional<std::string>();
      });
  REQUIRE(second.events.size() == 2);
  CHECK(second.events[0].execution_id == child);
  CHECK(second.events[1].execution_id == parent);
  CHECK(asked == std::vector<std::string>{"0000000000000004", "0000000000000001"});
  REQUIRE(second.child_owners.size() == 1);
  CHECK(second.child_owners[0].span_id == "0000000000000005");
}

TEST_CASE("SpanOwnerCache keeps projects apart and drops its oldest entries past its bound") {
  SpanOwnerCache cache(2);
  cache.Add(1, {{"t", "a", "exec-a"}, {"t", "b", "exec-b"}});
  CHECK(cache.Find(1, "t", "a") == std::optional<std::string>("exec-a"));
  CHECK_FALSE(cache.Find(2, "t", "a").has_value());
  cache.Add(2, {{"t", "a", "other-project"}});
  CHECK(cache.size() == 2);
  CHECK_FALSE(cache.Find(1, "t", "a").has_value());
  CHECK(cache.Find(1, "t", "b") == std::optional<std::string>("exec-b"));
  CHECK(cache.Find(2, "t", "a") == std::optional<std::string>("other-project"));
}

}  // namespace otlp_mapping_test
