#include "server/detection/live_cache.h"

#include <utility>

namespace vigil {
namespace {

// Bytes of a string held once on the heap (0 in the small-string buffer) plus those of an optional
// one.
size_t OptionalHeap(const std::optional<std::string>& s) { return s ? StringHeapBytes(*s) : 0; }

size_t ExecutionHeapBytes(const Execution& x) {
  size_t n = 0;
  for (const std::string* s :
       {&x.project_id, &x.execution_id, &x.parent_execution_id, &x.name, &x.input_summary,
        &x.output_summary, &x.crash_signature, &x.sdk_version, &x.sdk_language, &x.failure_group_id,
        &x.halt_reason, &x.code_version, &x.container_digest}) {
    n += StringHeapBytes(*s);
  }
  return n;
}

// A node of std::unordered_map<std::string, V>: the next pointer, the pair and the cached hash.
template <typename V>
size_t MapNodeBytes(const std::string& key) {
  return AllocatedBytes(sizeof(void*) + sizeof(std::pair<const std::string, V>) + sizeof(size_t)) +
         StringHeapBytes(key);
}

}  // namespace

size_t AllocatedBytes(size_t n) {
  // glibc's malloc: an 8-byte header, 16-byte alignment, 32 bytes at least.
  if (n == 0) return 0;
  const size_t chunk = (n + sizeof(size_t) + 15) & ~size_t{15};
  return chunk < 32 ? 32 : chunk;
}

size_t StringHeapBytes(const std::string& s) {
  // libstdc++ keeps up to 15 characters inside the object.
  return s.capacity() > 15 ? AllocatedBytes(s.capacity() + 1) : 0;
}

size_t EventHeapBytes(const Event& e) {
  const PayloadFields& f = e.fields;
  return StringHeapBytes(e.event_id) + StringHeapBytes(e.execution_id) +
         StringHeapBytes(e.event_type) + StringHeapBytes(e.payload_json) + OptionalHeap(f.model) +
         OptionalHeap(f.system_prompt) + OptionalHeap(f.user_message) +
         OptionalHeap(f.response_text) + OptionalHeap(f.status) + OptionalHeap(f.tool_name) +
         OptionalHeap(f.result_text) + OptionalHeap(f.result_summary) + OptionalHeap(f.name) +
         OptionalHeap(f.tool_results_text);
}

size_t EventsBytes(const std::vector<Event>& events) {
  size_t n = AllocatedBytes(events.capacity() * sizeof(Event));
  for (const Event& e : events) n += EventHeapBytes(e);
  return n;
}

size_t LiveEventHeapBytes(const LiveEvent& e) {
  return StringHeapBytes(e.event_type) + OptionalHeap(e.model);
}

LiveEvent ToLiveEvent(const Event& e) {
  LiveEvent live;
  live.event_type = e.event_type;
  live.type = e.type;
  live.sequence = e.sequence;
  live.timestamp_ms = e.timestamp_ms;
  live.duration_ms = e.duration_ms;
  live.arrival = e.arrival;
  const PayloadFields& f = e.fields;
  if (e.type == EventType::kLlmCall) {
    live.model = f.model;
    live.input_tokens = f.input_tokens;
    live.output_tokens = f.output_tokens;
    live.identical_call_hash =
        f.identical_call_hash
            ? f.identical_call_hash
            : IdenticalCallHash(f.model.value_or(""), f.user_message.value_or(""));
    live.context_digest = f.context_digest;
    live.response_digest = f.response_digest;
    live.no_user_message = f.no_user_message;
    live.asked_for_tools = f.asked_for_tools;
  } else if (e.type == EventType::kToolCall) {
    live.tool_call_hash = f.tool_call_hash;
    live.tool_result_digest = f.tool_result_digest;
  }
  return live;
}

Event FromLiveEvent(const LiveEvent& live) {
  Event e;
  e.event_type = live.event_type;
  e.type = live.type;
  e.sequence = live.sequence;
  e.timestamp_ms = live.timestamp_ms;
  e.duration_ms = live.duration_ms;
  e.arrival = live.arrival;
  PayloadFields& f = e.fields;
  f.model = live.model;
  f.input_tokens = live.input_tokens;
  f.output_tokens = live.output_tokens;
  f.identical_call_hash = live.identical_call_hash;
  f.context_digest = live.context_digest;
  f.response_digest = live.response_digest;
  f.no_user_message = live.no_user_message;
  f.asked_for_tools = live.asked_for_tools;
  f.tool_call_hash = live.tool_call_hash;
  f.tool_result_digest = live.tool_result_digest;
  return e;
}

size_t StateBytes(const LiveCache::State& st) {
  // make_shared puts the state and its control block in one allocation.
  size_t n = AllocatedBytes(sizeof(LiveCache::State) + 2 * sizeof(void*));
  n += AllocatedBytes(st.events.capacity() * sizeof(LiveEvent)) + st.event_heap;
  n += EventsBytes(st.snapshot.events);
  n += ExecutionHeapBytes(st.snapshot.execution);
  n += AllocatedBytes(st.written.bucket_count() * sizeof(void*));
  for (const auto& [detector, signature] : st.written) {
    n += MapNodeBytes<std::string>(detector) + StringHeapBytes(signature);
  }
  return n;
}

LiveCache::LiveCache(size_t max_bytes, size_t max_entries)
    : max_bytes_(max_bytes), max_entries_(max_entries) {}

std::shared_ptr<LiveCache::State> LiveCache::Get(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(key);
  if (it != entries_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second.lru);
    return it->second.state;
  }
  lru_.push_front(key);
  Entry entry{std::make_shared<State>(), lru_.begin(), 0, 0};
  // The entry's own cost: the key twice (the LRU list and the map), the list node, the map node
  // and its bucket; then the empty state until it is accounted.
  entry.overhead = AllocatedBytes(2 * sizeof(void*) + sizeof(std::string)) + StringHeapBytes(key) +
                   MapNodeBytes<Entry>(key) + sizeof(void*);
  entry.bytes = entry.overhead + StateBytes(*entry.state);
  bytes_ += entry.bytes;
  std::shared_ptr<State> state = entry.state;
  entries_.emplace(key, std::move(entry));
  while (entries_.size() > max_entries_) EraseLocked(entries_.find(lru_.back()));
  EvictLocked(max_bytes_);
  return state;
}

std::shared_ptr<LiveCache::State> LiveCache::Find(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(key);
  return it == entries_.end() ? nullptr : it->second.state;
}

void LiveCache::Account(const std::string& key, size_t state_bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return;  // evicted meanwhile: its memory goes with its last user
  bytes_ -= it->second.bytes;
  it->second.bytes = it->second.overhead + state_bytes;
  bytes_ += it->second.bytes;
  EvictLocked(max_bytes_);
}

void LiveCache::Forget(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(key);
  if (it != entries_.end()) EraseLocked(it);
}

size_t LiveCache::bytes() {
  std::lock_guard<std::mutex> lock(mu_);
  return bytes_;
}

size_t LiveCache::size() {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.size();
}

void LiveCache::EvictLocked(size_t max_bytes) {
  while (bytes_ > max_bytes && lru_.size() > 1) EraseLocked(entries_.find(lru_.back()));
}

void LiveCache::EraseLocked(std::unordered_map<std::string, Entry>::iterator it) {
  bytes_ -= it->second.bytes;
  lru_.erase(it->second.lru);
  entries_.erase(it);
}

}  // namespace vigil
