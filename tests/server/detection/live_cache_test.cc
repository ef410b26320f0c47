#include "server/detection/live_cache.h"

#include <doctest/doctest.h>

#include <string>

namespace vigil {
namespace {

// Fills the state under `key` with `events` events in a vector of `capacity`, and accounts it.
void Fill(LiveCache& cache, const std::string& key, size_t events, size_t capacity) {
  auto st = cache.Get(key);
  std::lock_guard<std::mutex> lock(st->mu);
  st->events.reserve(capacity);
  st->events.resize(events);
  cache.Account(key, StateBytes(*st));
}

TEST_CASE("StateBytes counts the events' spare capacity, their long strings and the findings") {
  LiveCache::State st;
  const size_t empty = StateBytes(st);
  st.events.reserve(100);
  st.events.resize(1);
  const size_t reserved = StateBytes(st);
  CHECK(reserved - empty >= 100 * sizeof(LiveEvent));  // capacity, not size

  Event e;
  e.fields.model = std::string(1000, 'm');
  CHECK(EventHeapBytes(e) >= 1001);
  e.fields.model = "gpt-4o-mini";  // a short value in a string that grew keeps its capacity
  CHECK(EventHeapBytes(e) >= 1001);
  Event small;
  small.fields.model = "gpt-4o-mini";  // inside the small-string buffer: nothing on the heap
  small.event_type = "llm_call";
  CHECK(EventHeapBytes(small) == 0);

  st.snapshot.execution.input_summary = std::string(5000, 's');
  CHECK(StateBytes(st) - reserved >= 5000);
  const size_t with_summary = StateBytes(st);
  st.written["loops"] = std::string(200, 'x');
  CHECK(StateBytes(st) - with_summary >= 200 + sizeof(std::pair<const std::string, std::string>));
}

TEST_CASE("StateBytes counts the events a pass has built from the cached ones while it runs") {
  LiveCache::State st;
  const size_t before = StateBytes(st);
  st.snapshot.events.resize(10);
  CHECK(StateBytes(st) - before >= 10 * sizeof(Event));
}

TEST_CASE("A cached event keeps what the live detectors read, and nothing else") {
  Event llm;
  llm.event_type = "llm_call";
  llm.type = EventType::kLlmCall;
  llm.sequence = 7;
  llm.timestamp_ms = 1000;
  llm.duration_ms = 20;
  llm.arrival = 3;
  llm.event_id = "ev-1";
  llm.payload_json = R"({"model":"m"})";
  llm.fields.model = "m";
  llm.fields.user_message = "hello";
  llm.fields.input_tokens = 10;
  llm.fields.output_tokens = 5;
  llm.fields.context_digest = 42;
  llm.fields.response_digest = 43;
  const Event back = FromLiveEvent(ToLiveEvent(llm));
  CHECK(back.event_type == "llm_call");
  CHECK(back.type == EventType::kLlmCall);
  CHECK(back.sequence == 7);
  CHECK(back.timestamp_ms == 1000);
  CHECK(back.duration_ms == 20);
  CHECK(back.arrival == 3);
  CHECK(back.fields.model == "m");
  CHECK(back.fields.input_tokens == 10);
  CHECK(back.fields.output_tokens == 5);
  CHECK(back.fields.identical_call_hash == IdenticalCallHash("m", "hello"));
  CHECK(back.fields.context_digest == 42u);
  CHECK(back.fields.response_digest == 43u);
  CHECK_FALSE(back.fields.user_message);  // read only through the hash
  CHECK_FALSE(back.fields.no_user_message);
  CHECK(back.event_id.empty());
  CHECK(back.payload_json.empty());
  CHECK_FALSE(back.fields.asked_for_tools);
  llm.fields.no_user_message = true;  // what says the call was asked nothing
  llm.fields.asked_for_tools = true;
  CHECK(FromLiveEvent(ToLiveEvent(llm)).fields.no_user_message);
  CHECK(FromLiveEvent(ToLiveEvent(llm)).fields.asked_for_tools);

  Event tool;
  tool.event_type = "tool_call";
  tool.type = EventType::kToolCall;
  tool.fields.tool_name = "search";
  tool.fields.tool_call_hash = 9;
  tool.fields.tool_result_digest = 11;
  tool.fields.model = "not read on a tool call";
  const Event t = FromLiveEvent(ToLiveEvent(tool));
  CHECK(t.fields.tool_call_hash == 9u);
  CHECK(t.fields.tool_result_digest == 11u);
  CHECK_FALSE(t.fields.model);
  CHECK_FALSE(t.fields.tool_name);
  CHECK_FALSE(t.fields.identical_call_hash);
}

TEST_CASE("AllocatedBytes rounds as the allocator does") {
  CHECK(AllocatedBytes(0) == 0);
  CHECK(AllocatedBytes(1) == 32);
  CHECK(AllocatedBytes(24) == 32);
  CHECK(AllocatedBytes(25) == 48);
  CHECK(AllocatedBytes(1000) % 16 == 0);
  CHECK(AllocatedBytes(1000) >= 1008);
}

TEST_CASE("LiveCache counts each entry's key and nodes, and gives them back when it forgets") {
  LiveCache cache(1u << 20, 100);
  const std::string key(100, 'k');  // longer than the small-string buffer
  cache.Get(key);
  CHECK(cache.size() == 1);
  CHECK(cache.bytes() >= 2 * 101 + sizeof(LiveCache::State));
  cache.Forget(key);
  CHECK(cache.size() == 0);
  CHECK(cache.bytes() == 0);
}

TEST_CASE("LiveCache evicts the least recently used entries when their real bytes pass the bound") {
  // Each entry holds a vector of 100 events (about 21 KB) of which it uses one: counted by size,
  // dozens of them would fit in the bound; counted as held, two do.
  const size_t one = 100 * sizeof(LiveEvent);
  LiveCache cache(2 * one + one / 2, 100);
  Fill(cache, "a", 1, 100);
  Fill(cache, "b", 1, 100);
  CHECK(cache.size() == 2);
  CHECK(cache.Find("a"));
  Fill(cache, "c", 1, 100);
  CHECK(cache.size() == 2);
  CHECK_FALSE(cache.Find("a"));  // the least recently used
  CHECK(cache.Find("b"));
  CHECK(cache.Find("c"));
  CHECK(cache.bytes() <= 2 * one + one / 2);

  cache.Get("b");  // now the most recent
  Fill(cache, "d", 1, 100);
  CHECK(cache.Find("b"));
  CHECK_FALSE(cache.Find("c"));
  CHECK(cache.Find("d"));
}

TEST_CASE("LiveCache keeps the most recent entry even when it alone passes the bound") {
  LiveCache cache(10 * sizeof(LiveEvent) + 4096, 100);
  Fill(cache, "a", 1, 1);
  Fill(cache, "big", 1000, 1000);
  CHECK(cache.size() == 1);
  CHECK(cache.Find("big"));
  Fill(cache, "next", 1, 1);  // another execution used: the big one goes
  CHECK_FALSE(cache.Find("big"));
  CHECK(cache.Find("next"));
  CHECK(cache.bytes() <= 10 * sizeof(LiveEvent) + 4096);
}

TEST_CASE("LiveCache evicts past its entry bound") {
  LiveCache cache(1u << 30, 3);
  for (const char* key : {"a", "b", "c", "d"}) cache.Get(key);
  CHECK(cache.size() == 3);
  CHECK_FALSE(cache.Find("a"));
  CHECK(cache.Find("d"));
}

TEST_CASE("LiveCache lets a state outlive its eviction while a pass still holds it") {
  LiveCache cache(1u << 30, 1);
  auto held = cache.Get("a");
  cache.Get("b");
  CHECK_FALSE(cache.Find("a"));
  std::lock_guard<std::mutex> lock(held->mu);
  held->events.resize(3);
  cache.Account("a", StateBytes(*held));  // evicted meanwhile: nothing to account
  CHECK(cache.size() == 1);
  CHECK(held->events.size() == 3);
}

}  // namespace
}  // namespace vigil
