// Keeping the WAL short: the checkpointer thread copies committed frames into the database off the
// write path, and the writer, between groups, lets a long WAL restart and enforces its hard bound
// (storage/DESIGN.md).
#include <pthread.h>
#include <sqlite3.h>

#include <filesystem>

#include "storage/store_impl.h"

namespace vigil {

void Store::Impl::LetWalRestart() {
  // Under sustained ingestion the WAL never restarts by itself: SQLite starts writing at the top of
  // the file again only when a write begins with every frame already copied into the database, and
  // the checkpointer, copying while the writer appends, is always a group or two behind. The file
  // would grow until the hard bound below stops ingestion for a whole TRUNCATE checkpoint. So once
  // the WAL holds kWalRestartFrames, the writer, between two groups (nothing is being appended),
  // copies the rest itself: the last group or two and one fsync of the database file. The next
  // group then writes from the top of the file. A reader still inside the WAL at that moment keeps
  // it from restarting; then the writer tries again a little later, not after every group.
  constexpr int kWalRestartFrames = 4096;  // 16 MiB of 4 KiB pages
  constexpr int kRetryFrames = 512;
  const int frames = wal_frames.load(std::memory_order_relaxed);
  if (frames < kWalRestartFrames) {
    wal_restart_at_frames = kWalRestartFrames;
    return;
  }
  if (frames < wal_restart_at_frames) return;
  int log_frames = 0, ckpt_frames = 0;
  const int rc = sqlite3_wal_checkpoint_v2(writer->db().getHandle(), nullptr,
                                           SQLITE_CHECKPOINT_PASSIVE, &log_frames, &ckpt_frames);
  // Busy: the checkpointer is mid-copy; try again after the next group.
  if (rc != SQLITE_BUSY) wal_restart_at_frames = frames + kRetryFrames;
}

void Store::Impl::EnforceWalBound() {
  LetWalRestart();
  const auto now = std::chrono::steady_clock::now();
  if (now < wal_bound_retry_at) return;
  std::error_code ec;
  const uintmax_t wal_bytes = std::filesystem::file_size(wal_path, ec);
  if (ec || wal_bytes < options.wal_bound_bytes) return;
  // Readers that overlap without pause can keep the WAL from restarting (see LetWalRestart), so
  // the file could still grow without bound. Here, between groups, the writer is idle by
  // construction, so a TRUNCATE checkpoint on its own connection never races a write: it waits
  // only for readers of old snapshots to finish, copies every frame, and resets the file. Readers
  // that start meanwhile read the database file and do not hold it up.
  //
  // Ingestion pauses for that wait, so it is short (request readers last milliseconds). A reader
  // that holds its snapshot longer (an admin export to a slow client) makes the checkpoint miss;
  // then the writer leaves the WAL alone for a while rather than pausing after every group.
  sqlite3* db = writer->db().getHandle();
  sqlite3_busy_timeout(db, static_cast<int>(options.wal_bound_wait_ms));
  int log_frames = 0, ckpt_frames = 0;
  const int rc =
      sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_TRUNCATE, &log_frames, &ckpt_frames);
  sqlite3_busy_timeout(db, options.busy_timeout_ms);
  // The checkpointer thread mid-copy holds the checkpoint lock, which SQLite never waits for: that
  // is no reader to back off from, so the next group simply tries again.
  if (rc == SQLITE_BUSY && log_frames == -1) return;
  wal_bound_checkpoints.fetch_add(1, std::memory_order_relaxed);
  if (rc != SQLITE_OK) {
    wal_bound_misses.fetch_add(1, std::memory_order_relaxed);
    wal_bound_retry_at = now + std::chrono::milliseconds(options.wal_bound_backoff_ms);
  }
}

void Store::Impl::CheckpointLoop() {
  pthread_setname_np(pthread_self(), "vigil-ckpt");
  // Checkpoint once the WAL holds about a group's worth of frames not yet copied, or once writes
  // have gone quiet. Running them here keeps their copying and fsyncs off the commit path. Small
  // and frequent beat large and rare here (storage/DESIGN.md has the figures): a large checkpoint's
  // fsync of the database file holds the writer's WAL fsync behind it for tens of milliseconds.
  constexpr int kCheckpointFrames = 256;  // 1 MiB of 4 KiB pages
  int ckpt_frames = 0;                    // frames the last checkpoint had copied...
  int64_t ckpt_restarts = 0;              // ...of the WAL as it was after this many restarts
  bool dirty = false;
  std::unique_lock<std::mutex> lock(checkpoint_mu);
  while (!checkpoint_stop) {
    checkpoint_cv.wait_for(lock, std::chrono::milliseconds(250));
    if (checkpoint_stop) break;
    const bool wrote = commits_since_checkpoint.exchange(0) > 0;
    dirty = dirty || wrote;
    if (!dirty) continue;
    // Since a restart every frame in the WAL is new.
    const int64_t restarts = wal_restarts.load(std::memory_order_relaxed);
    const int frames = wal_frames.load(std::memory_order_relaxed);
    const int pending = restarts == ckpt_restarts ? frames - ckpt_frames : frames;
    if (wrote && pending < kCheckpointFrames) continue;
    lock.unlock();
    int log_frames = 0;
    const int64_t restarts_before = wal_restarts.load(std::memory_order_relaxed);
    const int rc = sqlite3_wal_checkpoint_v2(checkpointer->db().getHandle(), nullptr,
                                             SQLITE_CHECKPOINT_PASSIVE, &log_frames, &ckpt_frames);
    ckpt_restarts = restarts_before;
    lock.lock();
    // Quiet and fully copied: nothing left to do until the next write.
    if (rc == SQLITE_OK && !wrote && ckpt_frames == log_frames) dirty = false;
  }
}

}  // namespace vigil
