#include "server/accounts/auth.h"

#include <algorithm>
#include <cctype>

#include "domain/hash.h"
#include "server/limits.h"
#include "storage/keys.h"

namespace vigil {

std::optional<AuthRecord> KeyCache::Get(const std::string& key_hash, int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = index_.find(key_hash);
  if (it == index_.end()) return std::nullopt;
  if (it->second->expires_at_ms <= now_ms) {
    lru_.erase(it->second);
    index_.erase(it);
    return std::nullopt;
  }
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->rec;
}

uint64_t KeyCache::epoch() const {
  std::lock_guard<std::mutex> lock(mu_);
  return epoch_;
}

void KeyCache::Put(const std::string& key_hash, const AuthRecord& rec, int64_t now_ms,
                   uint64_t epoch_before_lookup) {
  std::lock_guard<std::mutex> lock(mu_);
  if (epoch_ != epoch_before_lookup) return;
  auto it = index_.find(key_hash);
  if (it != index_.end()) {
    lru_.erase(it->second);
    index_.erase(it);
  }
  lru_.push_front(Entry{key_hash, rec, now_ms + ttl_ms_});
  index_[key_hash] = lru_.begin();
  while (lru_.size() > capacity_) {
    index_.erase(lru_.back().hash);
    lru_.pop_back();
  }
}

void KeyCache::EvictKey(const std::string& key_id) {
  EvictIf([&key_id](const AuthRecord& rec) { return rec.key_id == key_id; });
}

void KeyCache::EvictIf(const std::function<bool(const AuthRecord&)>& match) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++epoch_;
    for (auto it = lru_.begin(); it != lru_.end();) {
      if (match(it->rec)) {
        index_.erase(it->hash);
        it = lru_.erase(it);
      } else {
        ++it;
      }
    }
  }
  if (on_evict_) on_evict_();
}

void KeyCache::EvictProject(int64_t project) {
  EvictIf([project](const AuthRecord& rec) { return rec.project == project; });
}

size_t KeyCache::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return lru_.size();
}

Authenticator::Authenticator(Store* store, size_t cache_size)
    : store_(store), cache_(cache_size, limits::kKeyCacheTtlMs) {}

namespace {

// `Bearer <token>`: scheme case-insensitive, token trimmed, 1-256 bytes.
std::optional<std::string> BearerToken(const std::string& header) {
  if (header.size() < 7) return std::nullopt;
  std::string scheme = header.substr(0, 6);
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (scheme != "bearer" || (header[6] != ' ' && header[6] != '\t')) return std::nullopt;
  size_t b = 7, e = header.size();
  while (b < e && std::isspace(static_cast<unsigned char>(header[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(header[e - 1]))) --e;
  if (e == b || e - b > limits::kMaxTokenBytes) return std::nullopt;
  return header.substr(b, e - b);
}

}  // namespace

Result<AuthRecord> Authenticator::Authenticate(const std::string& header, int64_t now_ms) {
  auto token = BearerToken(header);
  if (!token) return Status::Unauthenticated();
  const std::string hash = Sha256Hex(*token);
  if (auto hit = cache_.Get(hash, now_ms)) {
    NoteUsed(hit->key_id, now_ms);
    return *hit;
  }
  const uint64_t epoch = cache_.epoch();
  auto found = store_->ReadValue([&](ReadTxn& txn) { return storage::FindKeyByHash(txn, hash); });
  if (!found.ok()) return found.status();
  const std::optional<AuthRecord>& rec = found.value();
  // Unknown hashes are not cached: a flood of random tokens must not evict real keys.
  if (!rec) return Status::Unauthenticated();
  cache_.Put(hash, *rec, now_ms, epoch);
  NoteUsed(rec->key_id, now_ms);
  return *rec;
}

void Authenticator::NoteUsed(const std::string& key_id, int64_t now_ms) {
  {
    std::lock_guard<std::mutex> lock(used_mu_);
    auto& last = last_written_[key_id];
    if (now_ms - last < limits::kLastUsedWriteIntervalMs) return;
    last = now_ms;
    if (last_written_.size() > 4 * limits::kDefaultKeyCacheSize) last_written_.clear();
  }
  // Best effort and asynchronous: a read request must not wait for a write.
  store_->WriteAsync([key_id, now_ms](WriteTxn& txn) {
    return storage::TouchKeys(txn, {{key_id, now_ms}});
  });
}

}  // namespace vigil
