// Fills an event-id filter from both levels of the event-id index on a thread of its own. Internal
// to storage/.
//
// Why: reading the whole index before the first write made start-up grow with the data (seconds
// at a few million events, minutes at fifty). The store now opens with no filter, so every id is
// checked against the remembered ids and the index (exact, only slower), and this fills the
// filter beside the writer; the writer switches to it once it is whole (storage/DESIGN.md,
// "Event ids decide the write cost"). The same build makes a larger filter when the ids outgrow
// the current one.
//
// Why the result is complete: the index is read in key-ordered chunks, each in a short read
// transaction of its own (a long one would keep the WAL from being checkpointed), the small level
// (`event_ids_recent`) before the large one (`event_ids`). An id in the index when the build
// starts is still in its level when its chunk is read, or it has moved from the small level to
// the large one, which is read later, or its event was deleted and the id no longer matters. Every
// id that reaches the index later was remembered by the writer first, and the writer adds those to
// the filter itself.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "domain/status.h"
#include "storage/event_id_filter.h"

namespace SQLite {
class Statement;
}

namespace vigil {

class EventIdFilterBuild {
 public:
  EventIdFilterBuild() = default;
  EventIdFilterBuild(const EventIdFilterBuild&) = delete;
  EventIdFilterBuild& operator=(const EventIdFilterBuild&) = delete;
  ~EventIdFilterBuild() { Stop(); }

  // Ids read per read transaction: long enough that the seek between chunks costs nothing, short
  // enough that a chunk holds the WAL back for milliseconds, not seconds.
  static constexpr int kChunkIds = 65536;

  // Starts adding every id of the database at `path` to `into`. REQUIRES: !running().
  void Start(const std::string& path, int busy_timeout_ms, std::shared_ptr<EventIdFilter> into,
             int chunk_ids = kChunkIds);
  bool running() const { return thread_.joinable(); }
  // The build has ended (whole, failed or stopped); Join() will not wait.
  bool finished() const { return finished_.load(std::memory_order_acquire); }
  // Waits for the build to end: Ok when every id of the index was added. REQUIRES: running().
  Status Join();
  // Ends a running build early (its filter is then incomplete) and waits for it.
  void Stop();

  int64_t ids_read() const { return ids_read_.load(std::memory_order_relaxed); }

 private:
  Status Fill(const std::string& path, int busy_timeout_ms, int chunk_ids, EventIdFilter* into);
  // Adds every id `q` yields, a chunk of `chunk_ids` at a time; ?1 and ?2 are the key after which
  // a chunk starts, ?3 the chunk's size.
  Status FillLevel(SQLite::Statement* q, int chunk_ids, EventIdFilter* into);

  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> finished_{false};
  std::atomic<int64_t> ids_read_{0};
  Status result_;  // written by the thread before `finished_`, read after Join
};

}  // namespace vigil
