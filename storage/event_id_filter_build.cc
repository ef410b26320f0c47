#include "storage/event_id_filter_build.h"

#include <pthread.h>

#include <cstdint>
#include <string_view>

#include "storage/connection.h"
#include "storage/recent_event_ids.h"

namespace vigil {
namespace {

std::string_view BlobOf(const SQLite::Column& c) {
  return std::string_view(static_cast<const char*>(c.getBlob()), static_cast<size_t>(c.getBytes()));
}

}  // namespace

void EventIdFilterBuild::Start(const std::string& path, int busy_timeout_ms,
                               std::shared_ptr<EventIdFilter> into, int chunk_ids) {
  stop_.store(false);
  finished_.store(false);
  ids_read_.store(0);
  thread_ = std::thread([this, path, busy_timeout_ms, chunk_ids, into = std::move(into)] {
    pthread_setname_np(pthread_self(), "vigil-idfilter");
    result_ = GuardSqlite([&] { return Fill(path, busy_timeout_ms, chunk_ids, into.get()); });
    finished_.store(true, std::memory_order_release);
  });
}

Status EventIdFilterBuild::Fill(const std::string& path, int busy_timeout_ms, int chunk_ids,
                                EventIdFilter* into) {
  ConnectionOptions o;
  o.path = path;
  o.busy_timeout_ms = busy_timeout_ms;
  o.read_only = true;
  o.cache_kib = 1024;  // it reads each index page once
  Connection conn(o);
  // The small level first: an id leaves it only for the large level, which is read after it.
  for (int part = 0; part < 2; ++part) {
    SQLite::Statement q(conn.db(),
                        "SELECT project, event_id FROM event_ids_recent WHERE part = ?4"
                        " AND (project, event_id) > (?1, ?2) ORDER BY project, event_id LIMIT ?3");
    q.bind(4, part);
    Status s = FillLevel(&q, chunk_ids, into);
    if (!s.ok()) return s;
  }
  SQLite::Statement q(conn.db(),
                      "SELECT project, event_id FROM event_ids WHERE (project, event_id) > (?1, ?2)"
                      " ORDER BY project, event_id LIMIT ?3");
  return FillLevel(&q, chunk_ids, into);
}

Status EventIdFilterBuild::FillLevel(SQLite::Statement* q, int chunk_ids, EventIdFilter* into) {
  // A chunk starts after the previous one's last key; the first after every key (projects are
  // numbered from 1).
  std::string key, last_id;
  int64_t last_project = 0;
  for (;;) {
    q->bind(1, last_project);
    q->bind(2, last_id);
    q->bind(3, chunk_ids);
    int rows = 0;
    while (q->executeStep()) {
      last_project = q->getColumn(0).getInt64();
      last_id.assign(BlobOf(q->getColumn(1)));
      RecentEventIds::EncodeKey(last_project, last_id, &key);
      into->Add(RecentEventIds::Hash(key));
      ++rows;
    }
    q->reset();  // ends the chunk's read transaction
    ids_read_.fetch_add(rows, std::memory_order_relaxed);
    if (rows < chunk_ids) return Status::Ok();
    if (stop_.load(std::memory_order_relaxed)) return Status::Unavailable("stopped");
  }
}

Status EventIdFilterBuild::Join() {
  thread_.join();
  return result_;
}

void EventIdFilterBuild::Stop() {
  if (!running()) return;
  stop_.store(true);
  thread_.join();
}

}  // namespace vigil
