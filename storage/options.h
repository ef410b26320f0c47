// How the storage engine is shaped: its options.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace vigil {

struct StoreOptions {
  std::string path;
  int busy_timeout_ms = 5000;
  size_t write_queue_max = 1024;
  // Jobs committed together in one group transaction: bounds the latency of a group's last job
  // and the size of one transaction.
  size_t max_jobs_per_group = 256;
  size_t readers = 8;
  // Past this WAL size the writer runs a TRUNCATE checkpoint between groups (see DESIGN.md).
  uint64_t wal_bound_bytes = 64u << 20;
  // How long that checkpoint may wait for readers of old snapshots, and how long the writer
  // leaves the WAL alone after a wait ran out (a long-lived reader, e.g. an export).
  int64_t wal_bound_wait_ms = 3000;
  int64_t wal_bound_backoff_ms = 30000;
  // Audit rows waiting for the writer; past this they are dropped and counted.
  size_t audit_buffer_max = 50000;
  // Event ids the writer remembers before merging them into the id index as one sorted
  // generation (storage/recent_event_ids.h). Larger: fewer index pages written per event, more
  // memory (about 90 bytes per id, at most about two generations).
  size_t event_id_generation = 65536;
  // The filter that spares the writer an index probe for new event ids (storage/event_id_filter.h).
  size_t event_id_filter_bytes = 8u << 20;
};

}  // namespace vigil
