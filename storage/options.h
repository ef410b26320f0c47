// How the storage engine is shaped: its options and their defaults.
//
// Each default is defined here and only here. The server's limits (server/limits.h) and settings
// (server/config.h) refer to these constants rather than repeating their values: storage must not
// depend on the server, and two copies of one number drift apart. A caller that leaves an option
// alone gets the value the server runs with, so tests and benchmarks measure the same engine.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace vigil {
namespace storage {

// How long a write job may wait for the writer, and a connection for a lock, before the caller is
// told the server is busy: long enough to ride out a checkpoint, short enough that a client
// retries rather than hangs.
constexpr int kDefaultBusyTimeoutMs = 5000;
// Write jobs waiting for the writer; past it Store::Write refuses at once (the server answers 503
// with Retry-After) instead of queueing without bound.
constexpr size_t kDefaultWriteQueueMax = 1024;
// Jobs committed together in one group transaction: bounds the latency of a group's last job and
// the size of one transaction.
constexpr size_t kDefaultMaxJobsPerGroup = 256;
// Read-only connections in the reader pool: requests read at once without waiting.
constexpr size_t kDefaultReaders = 8;
// Past this WAL size the writer runs a TRUNCATE checkpoint between groups (storage/DESIGN.md). The
// file can exceed it by at most one group commit.
constexpr uint64_t kDefaultWalBoundBytes = 64u << 20;
// How long that checkpoint may wait for readers of old snapshots, and how long the writer leaves
// the WAL alone after a wait ran out (a long-lived reader, e.g. an export).
constexpr int64_t kDefaultWalBoundWaitMs = 3000;
constexpr int64_t kDefaultWalBoundBackoffMs = 30000;
// Audit rows waiting for the writer; past this they are dropped and counted.
constexpr size_t kDefaultAuditBufferMax = 50000;
// Event ids the writer remembers before merging them into the id index as one sorted generation
// (storage/recent_event_ids.h). Bounds that memory (about 90 bytes per id, at most about two
// generations); larger generations write fewer index pages per event (storage/DESIGN.md and
// docs/performance.md have the measurements behind this size).
constexpr size_t kDefaultEventIdGeneration = 131072;
// Ids a part of the index's small level takes before it is sealed and moved into the large level
// (storage/event_id_levels.h). Generations merge into a part at most this large, and a sealed part
// this large moves into the large level: both merges stay cheap per id up to about ten times this
// many ids per database (storage/DESIGN.md).
constexpr size_t kDefaultEventIdPart = 2u << 20;
// The largest filter of stored event ids, which spares the writer an index probe per new id
// (storage/event_id_filter.h). It is sized by the stored ids (a byte per id, from 64 KiB) and
// stops growing here: 16 million ids at about 2.6% false positives, about 6% at 20 million,
// degrading gradually past that towards a probe per id. A false positive costs a few index probes
// (under a microsecond an event at 6%); a larger filter would cost its size in resident memory,
// twice over while it is built beside the old one.
constexpr size_t kDefaultEventIdFilterBytes = 16u << 20;

// SQLite page cache of each reader connection and of the checkpointer's. Reads of a large
// database come mostly from the kernel's page cache either way; eight readers at the writer's
// 8 MiB each would add 64 MiB of RSS once the database outgrows them.
constexpr int kReaderCacheKib = 2048;
constexpr int kCheckpointerCacheKib = 1024;

// Start-up runs PRAGMA quick_check only on a database (with its WAL) at most this large: the check
// reads every page, so its time grows with the file, and start-up must not (storage/DESIGN.md,
// "Start-up checks"). Larger files get the bounded checks only.
constexpr uint64_t kDefaultQuickCheckMaxBytes = 32u << 20;

}  // namespace storage

struct StoreOptions {
  std::string path;  // the database file; its directory is created if missing
  int busy_timeout_ms = storage::kDefaultBusyTimeoutMs;
  size_t write_queue_max = storage::kDefaultWriteQueueMax;
  size_t max_jobs_per_group = storage::kDefaultMaxJobsPerGroup;
  size_t readers = storage::kDefaultReaders;
  uint64_t wal_bound_bytes = storage::kDefaultWalBoundBytes;
  int64_t wal_bound_wait_ms = storage::kDefaultWalBoundWaitMs;
  int64_t wal_bound_backoff_ms = storage::kDefaultWalBoundBackoffMs;
  size_t audit_buffer_max = storage::kDefaultAuditBufferMax;
  size_t event_id_generation = storage::kDefaultEventIdGeneration;
  size_t event_id_part = storage::kDefaultEventIdPart;
  size_t event_id_filter_bytes = storage::kDefaultEventIdFilterBytes;
  uint64_t quick_check_max_bytes = storage::kDefaultQuickCheckMaxBytes;
};

}  // namespace vigil
