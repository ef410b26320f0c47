#include "server/otlp/decode.h"

#include <doctest/doctest.h>

#include <string>

#include "server/limits.h"
#include "server/otlp/proto_reader.h"
#include "tests/server/otlp/proto_builder.h"

// Named, not global: the unity build joins test files, and these names must not reach the next.
namespace otlp_test {
using namespace vigil;
using namespace vigil::otlp;

TEST_CASE("DecodeProtobuf reads ids, times, kind, attributes, events and status of a span") {
  SpanSpec s;
  s.parent_span_id = Bytes(8, '\x33');
  s.name = "chat gpt-4o";
  s.attributes = {StrAttr("gen_ai.operation.name", "chat"), IntAttr("gen_ai.usage.input_tokens", 7),
                  DoubleAttr("temperature", 0.5)};
  s.events = {ExceptionEvent("ValueError", "bad", "trace")};
  s.status_code = 2;
  s.status_message = "failed";
  auto decoded = DecodeProtobuf(RequestBytes({s}, "my-service"));
  REQUIRE(decoded.ok());
  REQUIRE(decoded->spans.size() == 1);
  const Span& span = decoded->spans[0];
  CHECK(span.trace_id == "11111111111111111111111111111111");
  CHECK(span.span_id == "2222222222222222");
  CHECK(span.parent_span_id == "3333333333333333");
  CHECK(span.name == "chat gpt-4o");
  CHECK(span.kind == 1);
  CHECK(span.start_unix_nano == 1700000000000000000ull);
  CHECK(span.end_unix_nano == 1700000001000000000ull);
  CHECK(span.service_name == "my-service");
  CHECK(span.status == StatusCode::kError);
  CHECK(span.status_message == "failed");
  REQUIRE(FindAttribute(span.attributes, "gen_ai.usage.input_tokens") != nullptr);
  CHECK(FindAttribute(span.attributes, "gen_ai.usage.input_tokens")->int_value == 7);
  CHECK(FindAttribute(span.attributes, "temperature")->double_value == 0.5);
  REQUIRE(span.events.size() == 1);
  CHECK(span.events[0].name == "exception");
  CHECK(FindAttribute(span.events[0].attributes, "exception.type")->text == "ValueError");
  CHECK(decoded->rejected_spans == 0);
}

TEST_CASE("DecodeProtobuf keeps arrays and key-value lists as JSON text") {
  SpanSpec s;
  const std::string array = Len(5, Len(1, Len(1, "a")) + Len(1, VarintField(3, 2)));
  const std::string kvlist = Len(6, Len(1, Len(1, "k") + Len(2, VarintField(2, 1))));
  s.attributes = {Len(1, "list") + Len(2, array), Len(1, "map") + Len(2, kvlist)};
  auto decoded = DecodeProtobuf(RequestBytes({s}));
  REQUIRE(decoded.ok());
  const Span& span = decoded->spans.at(0);
  CHECK(FindAttribute(span.attributes, "list")->kind == ValueKind::kArray);
  CHECK(FindAttribute(span.attributes, "list")->text == R"(["a",2])");
  CHECK(FindAttribute(span.attributes, "map")->text == R"({"k":true})");
}

TEST_CASE("DecodeProtobuf skips unknown fields of every wire type") {
  SpanSpec s;
  std::string span = SpanBytes(s) + VarintField(99, 5) + Fixed64Field(98, 1) + Len(97, "x") +
                     Key(96, 5) + std::string(4, '\0');
  const std::string body = Len(1, Len(2, Len(2, span))) + VarintField(50, 1);
  auto decoded = DecodeProtobuf(body);
  REQUIRE(decoded.ok());
  CHECK(decoded->spans.size() == 1);
}

TEST_CASE("DecodeProtobuf refuses malformed bodies") {
  const std::string good = RequestBytes({SpanSpec{}});
  const std::string cases[] = {
      "plain text, not protobuf",
      good.substr(0, good.size() - 3),               // truncated
      Key(1, 2) + Varint(1000) + "short",            // length past the end
      Key(1, 0) + std::string(11, '\xff') + "\x01",  // varint over ten bytes
      Key(1, 0) + std::string(9, '\xff') + "\x7f",   // ten bytes that overflow 64 bits
      Key(1, 3) + Key(1, 4),                         // a group
      Key(0, 0) + Varint(1),                         // field number 0
      Key(1, 7),                                     // wire type 7
  };
  for (const std::string& body : cases) {
    CAPTURE(body.size());
    auto decoded = DecodeProtobuf(body);
    CHECK_FALSE(decoded.ok());
  }
  CHECK(DecodeProtobuf("").ok());  // an empty request is a valid empty message
}

TEST_CASE("DecodeProtobuf refuses values nested past the depth bound") {
  std::string value = Len(1, "leaf");
  for (size_t i = 0; i <= limits::kMaxOtlpValueDepth + 1; ++i) value = Len(5, Len(1, value));
  SpanSpec s;
  s.attributes = {Len(1, "deep") + Len(2, value)};
  CHECK_FALSE(DecodeProtobuf(RequestBytes({s})).ok());
}

TEST_CASE("Spans with invalid ids are refused alone and counted") {
  SpanSpec good, zero_trace, short_span;
  zero_trace.trace_id = Bytes(16, '\0');
  short_span.span_id = Bytes(4, '\x01');
  auto decoded = DecodeProtobuf(RequestBytes({good, zero_trace, short_span}));
  REQUIRE(decoded.ok());
  CHECK(decoded->spans.size() == 1);
  CHECK(decoded->rejected_spans == 2);
  CHECK_FALSE(decoded->error_message.empty());
}

TEST_CASE("Spans past the per-request bound are refused in the partial success") {
  std::vector<SpanSpec> spans(limits::kMaxOtlpSpansPerRequest + 3);
  auto decoded = DecodeProtobuf(RequestBytes(spans));
  REQUIRE(decoded.ok());
  CHECK(decoded->spans.size() == limits::kMaxOtlpSpansPerRequest);
  CHECK(decoded->rejected_spans == 3);
}

TEST_CASE("Attributes past the per-span bound are dropped") {
  SpanSpec s;
  for (size_t i = 0; i < limits::kMaxOtlpAttributesPerSpan + 10; ++i) {
    s.attributes.push_back(IntAttr("a" + std::to_string(i), 1));
  }
  auto decoded = DecodeProtobuf(RequestBytes({s}));
  REQUIRE(decoded.ok());
  CHECK(decoded->spans.at(0).attributes.size() == limits::kMaxOtlpAttributesPerSpan);
}

TEST_CASE("ProtoReader reads the largest varint and refuses a wrong wire type") {
  const std::string max = Key(1, 0) + Varint(UINT64_MAX);
  ProtoReader r(max);
  REQUIRE(r.Next());
  CHECK(r.Varint() == UINT64_MAX);
  CHECK(r.ok());
  const std::string varint_field = Key(1, 0) + Varint(1);  // the reader only views its bytes
  ProtoReader wrong(varint_field);
  REQUIRE(wrong.Next());
  CHECK(wrong.Bytes().empty());
  CHECK_FALSE(wrong.ok());
}

TEST_CASE("DecodeJson reads the OTLP/JSON form into the same span model") {
  const char* body = R"({"resourceSpans":[{"resource":{"attributes":[
      {"key":"service.name","value":{"stringValue":"svc"}}]},
    "scopeSpans":[{"scope":{"name":"s"},"spans":[{
      "traceId":"5B8EFFF798038103D269B633813FC60C","spanId":"eee19b7ec3c1b174",
      "parentSpanId":"","name":"chat","kind":3,
      "startTimeUnixNano":"1700000000000000000","endTimeUnixNano":1700000001000000000,
      "attributes":[{"key":"n","value":{"intValue":"42"}},{"key":"m","value":{"intValue":7}},
        {"key":"b","value":{"boolValue":true}},{"key":"d","value":{"doubleValue":1.5}},
        {"key":"l","value":{"arrayValue":{"values":[{"stringValue":"x"},{"intValue":"3"}]}}},
        {"key":"kv","value":{"kvlistValue":{"values":[{"key":"a","value":{"boolValue":false}}]}}}],
      "events":[{"timeUnixNano":"5","name":"exception","attributes":[]}],
      "status":{"code":2,"message":"m"},"unknownKey":{"x":1}}]}]}]})";
  auto decoded = DecodeJson(body);
  REQUIRE(decoded.ok());
  REQUIRE(decoded->spans.size() == 1);
  const Span& span = decoded->spans[0];
  CHECK(span.trace_id == "5b8efff798038103d269b633813fc60c");
  CHECK(span.span_id == "eee19b7ec3c1b174");
  CHECK(span.parent_span_id.empty());
  CHECK(span.kind == 3);
  CHECK(span.start_unix_nano == 1700000000000000000ull);
  CHECK(span.end_unix_nano == 1700000001000000000ull);
  CHECK(span.service_name == "svc");
  CHECK(span.status == StatusCode::kError);
  CHECK(FindAttribute(span.attributes, "n")->int_value == 42);
  CHECK(FindAttribute(span.attributes, "m")->int_value == 7);
  CHECK(FindAttribute(span.attributes, "b")->bool_value);
  CHECK(FindAttribute(span.attributes, "d")->double_value == 1.5);
  CHECK(FindAttribute(span.attributes, "l")->text == R"(["x",3])");
  CHECK(FindAttribute(span.attributes, "kv")->text == R"({"a":false})");
  CHECK(span.events.at(0).time_unix_nano == 5);
}

TEST_CASE("DecodeJson refuses truncated JSON and wrong shapes, and accepts an empty request") {
  CHECK_FALSE(DecodeJson(R"({"resourceSpans":[{"scopeSpans":[)").ok());
  CHECK_FALSE(DecodeJson(R"([])").ok());
  CHECK_FALSE(DecodeJson(R"({"resourceSpans":{}})").ok());
  CHECK_FALSE(DecodeJson(R"({"resourceSpans":[{"scopeSpans":[{"spans":[1]}]}]})").ok());
  auto empty = DecodeJson("{}");
  REQUIRE(empty.ok());
  CHECK(empty->spans.empty());
}

TEST_CASE("DecodeJson refuses spans whose ids are not hex of the right length") {
  auto decoded = DecodeJson(R"({"resourceSpans":[{"scopeSpans":[{"spans":[
      {"traceId":"W4j/95gDgQPSabYzgT/GDA==","spanId":"eee19b7ec3c1b174"},
      {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"00000000000000"}]}]}]})");
  REQUIRE(decoded.ok());
  CHECK(decoded->spans.empty());
  CHECK(decoded->rejected_spans == 2);
}

TEST_CASE("Responses carry partial success only when spans were refused") {
  CHECK(EncodeResponseJson(0, "") == "{}");
  CHECK(EncodeResponseJson(2, "bad ids") ==
        R"({"partialSuccess":{"rejectedSpans":"2","errorMessage":"bad ids"}})");
  CHECK(EncodeResponseProtobuf(0, "").empty());
  const std::string partial = VarintField(1, 2) + Len(2, "bad");
  CHECK(EncodeResponseProtobuf(2, "bad") == Len(1, partial));
}

TEST_CASE("Error bodies are a google.rpc.Status in either encoding") {
  CHECK(EncodeStatusJson(3, "bad \"body\"") == R"({"code":3,"message":"bad \"body\""})");
  CHECK(EncodeStatusProtobuf(16, "unauthorized") == VarintField(1, 16) + Len(2, "unauthorized"));
  CHECK(EncodeStatusProtobuf(0, "").empty());
}

}  // namespace otlp_test
