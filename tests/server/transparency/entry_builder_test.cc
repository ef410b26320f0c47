#include "server/transparency/entry_builder.h"

#include <doctest/doctest.h>
#include <simdjson.h>

#include <string>
#include <vector>

#include "domain/hash.h"
#include "server/limits.h"

namespace vigil {
namespace entry_builder_test {

// The reference the canonical writer is checked against: the payload built as a tlog::JsonValue
// tree, then serialised by the tree (a string value when the text does not parse).
tlog::JsonValue FromElement(simdjson::dom::element el) {
  using simdjson::dom::element_type;
  switch (el.type()) {
    case element_type::ARRAY: {
      tlog::JsonValue a = tlog::JsonValue::Array();
      for (simdjson::dom::element child : el.get_array()) a.Push(FromElement(child));
      return a;
    }
    case element_type::OBJECT: {
      tlog::JsonValue o = tlog::JsonValue::Object();
      for (simdjson::dom::key_value_pair kv : el.get_object()) {
        o.Set(std::string(kv.key), FromElement(kv.value));
      }
      return o;
    }
    case element_type::INT64:
      return tlog::JsonValue::Number(static_cast<double>(int64_t(el)));
    case element_type::UINT64:
      return tlog::JsonValue::Number(static_cast<double>(uint64_t(el)));
    case element_type::DOUBLE:
      return tlog::JsonValue::Number(double(el));
    case element_type::STRING:
      return tlog::JsonValue::String(std::string(std::string_view(el)));
    case element_type::BOOL:
      return tlog::JsonValue::Bool(bool(el));
    case element_type::NULL_VALUE:
      break;
  }
  return tlog::JsonValue();
}

tlog::JsonValue CanonicalValueOf(std::string_view json) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element el;
  if (parser.parse(json.data(), json.size(), true).get(el) != simdjson::SUCCESS) {
    return tlog::JsonValue::String(std::string(json));
  }
  return FromElement(el);
}

// An llm_call whose model name is `model`, as storage returns it.
// The entry of `execution` in project "proj-1" with `events`, no findings and no policy digest.
tlog::ExecutionEntry EntryOf(const Execution& execution, const std::vector<Event>& events) {
  EntryStream stream;
  for (const Event& e : events) stream.Add(e);
  return stream.Finish("proj-1", execution, {}, "");
}

Event CallWithModel(int64_t row, const std::string& model) {
  Event e;
  e.event_id = "evt-" + std::to_string(row);
  e.execution_id = "exec-1";
  e.event_type = "llm_call";
  e.sequence = row;
  e.arrival = row;
  e.payload_json = "{\"model\":\"" + model + "\"}";
  return e;
}

TEST_CASE("an entry stays within a tile bundle's 65535 bytes whatever model names a client sends") {
  Execution execution;
  execution.execution_id = "exec-1";
  std::vector<Event> events;
  // Distinct long names made of escaped control characters, six canonical bytes each.
  for (int i = 0; i < 100; ++i) {
    std::string model = std::to_string(i) + "-";
    for (int j = 0; j < 2000; ++j) model += "\\u0001";
    events.push_back(CallWithModel(i + 1, model));
  }
  const tlog::ExecutionEntry entry = EntryOf(execution, events);
  CHECK(entry.models.size() == limits::kMaxSealedModels);
  for (const std::string& m : entry.models) CHECK(m.size() <= limits::kMaxSealedModelBytes);
  CHECK(entry.event_count == 100);
  CHECK(tlog::EntryBytes(entry).size() <= tlog::kMaxEntryBytes);
}

TEST_CASE("a model name within the bound is listed unchanged") {
  Execution execution;
  execution.execution_id = "exec-1";
  const std::vector<Event> events = {CallWithModel(1, "gpt-4o"), CallWithModel(2, "gpt-4o")};
  const tlog::ExecutionEntry entry = EntryOf(execution, events);
  CHECK(entry.models == std::vector<std::string>{"gpt-4o"});
}

// Payloads exercising RFC 8785: number forms, escapes, non-ASCII names ordered by UTF-16 code
// units (U+1F600 is a surrogate pair and sorts before U+FB33), nesting, repeated names.
const char* const kPayloads[] = {
    "null",
    "{}",
    "[]",
    "{\"model\":\"gpt-4o\",\"input_tokens\":900,\"user_message\":\"hi\"}",
    "{\"n\":[1e21,1E+21,-0,0.0,-0.0,0.1,1e-7,-9007199254740993,"
    "18446744073709551615,9223372036854775807,-9223372036854775808,4.50,2e-3,5e-324,1.5e300]}",
    "{\"\\u20ac\":1,\"\\r\":2,\"\\ufb33\":3,\"1\":4,\"\\ud83d\\ude00\":5,\"\\u0080\":6,\"\\u00f6\":"
    "7,"
    "\"a\":{\"z\":[{\"b\":true,\"a\":false}],\"y\":null}}",
    "{\"s\":\"\\u0000\\u001f\\b\\f\\n\\r\\t\\\"\\\\\\/\\u007f\\u2028 \\ud83d\\ude00 caf\xc3\xa9\"}",
    "{\"a\":1,\"b\":2,\"a\":3}",
    "{\"big\":123456789012345678901234567890}",
    "{\"deep\":[[[[{\"k\":[{},[],\"\",0]}]]]]}",
    "[\"x\",1,{\"model\":7}]",
    "not json {",
    "\"a string\"",
    "  {\"spaced\" : [ 1 , 2 ] }  ",
};

TEST_CASE(
    "payloads are written canonically without a tree, byte for byte as the tree writes them") {
  for (const char* payload : kPayloads) {
    CAPTURE(payload);
    CHECK(CanonicalJson(payload) == CanonicalValueOf(payload).Canonical());
  }
  CHECK(CanonicalJson("{\"n\":[1e21,-0,0.1,100,1.0]}") == "{\"n\":[1e+21,0,0.1,100,1]}");
  CHECK(CanonicalJson("{\"\\ufb33\":1,\"\\ud83d\\ude00\":2,\"\\u00f6\":3}") ==
        "{\"\xc3\xb6\":3,\"\xf0\x9f\x98\x80\":2,\"\xef\xac\xb3\":1}");
  CHECK(CanonicalJson("{\"a\":1,\"b\":2,\"a\":3}") == "{\"a\":3,\"b\":2}");
  CHECK(CanonicalJson("not json {") == "\"not json {\"");
}

TEST_CASE("an entry's transcript digest is the digest of the tree-built canonical events") {
  Execution execution;
  execution.execution_id = "exec-1";
  std::vector<Event> events;
  std::string joined;
  int64_t row = 0;
  for (const char* payload : kPayloads) {
    Event e = CallWithModel(++row, "m");
    e.payload_json = payload;
    e.timestamp_ms = 1778780022123 + row;
    e.duration_ms = row % 3 == 0 ? 0 : 812;
    e.event_type = row % 2 == 0 ? "llm_call" : "tool\u00e9\n";
    events.push_back(e);
    tlog::JsonValue o = tlog::JsonValue::Object();
    o.Set("event_id", tlog::JsonValue::String(e.event_id))
        .Set("event_type", tlog::JsonValue::String(e.event_type))
        .Set("sequence", tlog::JsonValue::Int(e.sequence))
        .Set("timestamp", tlog::JsonValue::Int(e.timestamp_ms))
        .Set("duration_ms", tlog::JsonValue::Int(e.duration_ms))
        .Set("payload", CanonicalValueOf(e.payload_json));
    CHECK(CanonicalEvent(e) == o.Canonical());
    joined += o.Canonical() + "\n";
  }
  const tlog::ExecutionEntry entry = EntryOf(execution, events);
  CHECK(entry.event_count == static_cast<int64_t>(events.size()));
  CHECK(entry.transcript_sha256 == Sha256Hex(joined));
  CHECK(entry.models == std::vector<std::string>{"gpt-4o"});
}

TEST_CASE("an entry built one event at a time leaves out the rows after its seal") {
  Execution execution;
  execution.execution_id = "exec-1";
  std::vector<Event> events = {CallWithModel(1, "gpt-4o"), CallWithModel(2, "gpt-4o"),
                               CallWithModel(3, "o3")};
  for (size_t i = 0; i < events.size(); ++i) events[i].arrival = static_cast<int64_t>(10 + i);
  EntryStream up_to_11(11);
  for (const Event& e : events) up_to_11.Add(e);
  CHECK(up_to_11.events() == 2);
  CHECK(up_to_11.last_row() == 11);
  const std::vector<Event> first_two(events.begin(), events.begin() + 2);
  CHECK(tlog::EntryBytes(up_to_11.Finish("proj-1", execution, {}, "")) ==
        tlog::EntryBytes(EntryOf(execution, first_two)));
  EntryStream all;
  for (const Event& e : events) all.Add(e);
  CHECK(all.last_row() == 12);
  CHECK(all.Finish("proj-1", execution, {}, "").models == std::vector<std::string>{"gpt-4o", "o3"});
}

}  // namespace entry_builder_test
}  // namespace vigil
