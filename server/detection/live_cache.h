// The live pass's cache of running executions (docs/detection.md#live-and-final-passes): each
// one's stored state and slimmed events, so an events batch costs no read of what came before.
//
// Bounded by entries and by the heap bytes the entries really hold, counted as the allocator
// counts them: the events vector by its capacity, every string past the small-string buffer, the
// map and list nodes, the keys and the states themselves (docs/operations.md#memory). Least
// recently used entries are evicted past either bound; an evicted execution is read again from
// storage on its next batch, so eviction costs a read, never an event the pass would have seen.
// Thread-safe; a state's own fields are guarded by its `mu`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "detectors/detectors.h"

namespace vigil {

// What the live detectors read of an event (the fields SlimForLivePass keeps), in a third of an
// Event's size: the cache holds these, and a pass turns them back into events while it runs.
struct LiveEvent {
  std::string event_type;
  std::optional<std::string> model;  // llm_call
  int64_t sequence = 0;
  int64_t timestamp_ms = 0;
  int64_t duration_ms = 0;
  int64_t arrival = 0;
  std::optional<int64_t> input_tokens;  // llm_call
  std::optional<int64_t> output_tokens;
  std::optional<uint64_t> context_digest;  // llm_call
  std::optional<uint64_t> response_digest;
  std::optional<uint64_t> tool_result_digest;   // tool_call
  std::optional<uint32_t> identical_call_hash;  // llm_call, always set
  std::optional<uint32_t> tool_call_hash;       // tool_call
  EventType type = EventType::kOther;
  bool no_user_message = false;  // llm_call
  bool asked_for_tools = false;
};
// The live part of `e` (its fields extracted), and the event the live detectors see from it.
LiveEvent ToLiveEvent(const Event& e);
Event FromLiveEvent(const LiveEvent& e);

class LiveCache {
 public:
  struct State {
    std::mutex mu;
    bool loaded = false;
    // The execution's stored state; `snapshot.events` is filled from `events` only while a pass
    // runs.
    ExecutionSnapshot snapshot;
    std::vector<LiveEvent> events;                         // by sequence, then arrival
    std::unordered_map<std::string, std::string> written;  // detector -> signature written
    bool halt_requested = false;
    int64_t next_arrival = 1;
    size_t event_heap = 0;  // LiveEventHeapBytes summed over events
    int64_t beyond = 0;     // stored events past the judged ones (limits::kMaxJudgedEvents)
  };

  LiveCache(size_t max_bytes, size_t max_entries);

  // The state under `key`, created empty on first use; it becomes the most recently used.
  std::shared_ptr<State> Get(const std::string& key);
  // The state under `key` if cached (its place in the LRU order unchanged), else null.
  std::shared_ptr<State> Find(const std::string& key);
  // Records what the state under `key` now holds (StateBytes, taken under its lock) and evicts
  // least recently used entries while the total is over the byte bound. The most recently used
  // entry is never evicted, so a single execution larger than the bound stays cached only until
  // another one is used.
  void Account(const std::string& key, size_t state_bytes);
  void Forget(const std::string& key);

  size_t bytes();
  size_t size();

 private:
  struct Entry {
    std::shared_ptr<State> state;
    std::list<std::string>::iterator lru;
    size_t overhead = 0;  // the key, the nodes and the bucket
    size_t bytes = 0;     // overhead + the state's StateBytes
  };
  void EvictLocked(size_t max_bytes);
  void EraseLocked(std::unordered_map<std::string, Entry>::iterator it);

  const size_t max_bytes_;
  const size_t max_entries_;
  std::mutex mu_;
  std::list<std::string> lru_;  // front = most recent
  std::unordered_map<std::string, Entry> entries_;
  size_t bytes_ = 0;
};

// What the allocator takes for a block of `n` bytes (its header and rounding included).
size_t AllocatedBytes(size_t n);
// Heap bytes a string holds beyond its own object (0 while it fits the small-string buffer).
size_t StringHeapBytes(const std::string& s);
// Heap bytes an event's strings hold beyond the Event object.
size_t EventHeapBytes(const Event& e);
// A vector of events: its buffer by capacity and each event's heap strings.
size_t EventsBytes(const std::vector<Event>& events);
size_t LiveEventHeapBytes(const LiveEvent& e);
// Heap bytes a cached state holds, itself included: its events by capacity plus their strings
// (those of a pass under way too), the execution's strings and the written findings' map.
size_t StateBytes(const LiveCache::State& st);

}  // namespace vigil
