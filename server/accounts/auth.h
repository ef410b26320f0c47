// API-key authentication (docs/api.md#bearer-authentication) with a bounded LRU cache so
// steady-state requests never touch the database. Keys are looked up by SHA-256 of the raw token:
// the database and the cache only ever hold hashes, and comparing fixed-length hashes leaks nothing
// about the key itself.
#pragma once

#include <cstdint>
#include <functional>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "domain/account.h"
#include "domain/status.h"
#include "storage/store.h"

namespace vigil {

class KeyCache {
 public:
  KeyCache(size_t capacity, int64_t ttl_ms) : capacity_(capacity), ttl_ms_(ttl_ms) {}

  std::optional<AuthRecord> Get(const std::string& key_hash, int64_t now_ms);
  // Evictions bump the epoch. A database lookup that started before an eviction must not put its
  // (possibly revoked) result back: Put with the epoch read before the lookup.
  uint64_t epoch() const;
  void Put(const std::string& key_hash, const AuthRecord& rec, int64_t now_ms,
           uint64_t epoch_before_lookup);
  // Evictions happen before the response of the change that requires them (revoke, suspension,
  // deletion), so the next request sees the new state.
  void EvictKey(const std::string& key_id);
  void EvictProject(int64_t project);
  // Called after every eviction, outside the cache's lock: what holds on to an authentication for
  // longer than a request (a halt stream) checks it again. Set once, before the server serves.
  void OnEvict(std::function<void()> listener) { on_evict_ = std::move(listener); }
  size_t size() const;

 private:
  struct Entry {
    std::string hash;
    AuthRecord rec;
    int64_t expires_at_ms;
  };
  void EvictIf(const std::function<bool(const AuthRecord&)>& match);

  size_t capacity_;
  int64_t ttl_ms_;
  std::function<void()> on_evict_;
  uint64_t epoch_ = 0;
  mutable std::mutex mu_;
  std::list<Entry> lru_;  // front = most recent
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
};

class Authenticator {
 public:
  Authenticator(Store* store, size_t cache_size);

  // Parses `Authorization` and returns the key's record. Every failure is the same
  // Unauthenticated status; storage trouble is Unavailable.
  Result<AuthRecord> Authenticate(const std::string& authorization_header, int64_t now_ms);

  KeyCache& cache() { return cache_; }

 private:
  void NoteUsed(const std::string& key_id, int64_t now_ms);

  Store* store_;
  KeyCache cache_;
  std::mutex used_mu_;
  std::unordered_map<std::string, int64_t> last_written_;  // key_id -> last last_used_at write
};

}  // namespace vigil
