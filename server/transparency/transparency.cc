// Keys, checkpoints, proofs, tiles and certificates of the project logs
// (server/transparency/transparency.h).
#include "server/transparency/transparency.h"

#include "domain/base64.h"
#include "domain/tlog/note.h"
#include "server/limits.h"
#include "storage/transparency.h"

namespace vigil {
namespace {

const char kNeedsMasterKey[] = "transparency log needs VIGIL_MASTER_KEY";

}  // namespace

bool NoteSignedByKey(const std::string& note, const std::string& public_key) {
  auto split = tlog::SplitNote(note);
  if (!split.ok()) return false;
  for (const tlog::NoteSignature& sig : split->signatures) {
    if (sig.key_id == tlog::KeyId(sig.name, public_key)) return true;
  }
  return false;
}

std::string TransparencyKeyAad(std::string_view public_key) {
  std::string aad = "vigil/transparency-key/v1";
  aad.push_back('\0');
  aad += public_key;
  return aad;
}

Result<int64_t> ReencryptTransparencyKeys(Store& store, const SecretBox& box) {
  auto keys = store.ReadValue([](ReadTxn& txn) { return storage::ListTransparencyKeys(txn); });
  if (!keys.ok()) return keys.status();
  int64_t moved = 0;
  for (const storage::TransparencyKeyRow& k : keys.value()) {
    const std::string aad = TransparencyKeyAad(k.public_key);
    auto seed = box.Open(k.seed_blob, aad);
    if (!seed.ok()) {
      return Status::Unavailable("the transparency signing key cannot be decrypted with " +
                                 std::string(box.any_key()
                                                 ? "VIGIL_MASTER_KEY or VIGIL_MASTER_KEY_PREVIOUS"
                                                 : "any key: VIGIL_MASTER_KEY is not set"));
    }
    if (!box.configured() || box.IsCurrent(k.seed_blob)) continue;
    auto sealed = box.Seal(seed.value(), aad);
    if (!sealed.ok()) return sealed.status();
    Status s = store.Write([&](WriteTxn& txn) {
      return storage::ReplaceTransparencyKeySeal(txn, k.id, k.seed_blob, sealed.value());
    });
    if (!s.ok()) return s;
    ++moved;
  }
  return moved;
}

Transparency::Transparency(Store* store, SecretBox box, std::string host,
                           std::vector<tlog::VerifierKey> witnesses)
    : store_(store),
      box_(std::move(box)),
      host_(std::move(host)),
      witnesses_(std::move(witnesses)) {}

Result<std::string> Transparency::RotateKey(int64_t now_ms) {
  if (!box_.configured()) return Status::NotConfigured(kNeedsMasterKey);
  auto seed = tlog::GenerateEd25519Seed();
  if (!seed.ok()) return seed.status();
  storage::TransparencyKeyRow row;
  row.public_key = tlog::Ed25519PublicKey(seed.value()).value();
  auto sealed = box_.Seal(seed.value(), TransparencyKeyAad(row.public_key));
  if (!sealed.ok()) return sealed.status();
  row.seed_blob = sealed.value();
  row.created_at_ms = now_ms;
  Status s = store_->Write([&](WriteTxn& txn) { return storage::InsertTransparencyKey(txn, row); });
  if (!s.ok()) return s;
  return row.public_key;
}

Status Transparency::LoadKey(int64_t now_ms) {
  auto keys = store_->ReadValue([](ReadTxn& txn) { return storage::ListTransparencyKeys(txn); });
  if (!keys.ok()) return keys.status();
  if (keys.value().empty()) {
    if (!box_.configured()) return Status::Ok();  // keyless until a master key is set
    auto added = RotateKey(now_ms);
    if (!added.ok()) return added.status();
    return LoadKey(now_ms);
  }
  const storage::TransparencyKeyRow& newest = keys.value().front();
  auto seed = box_.Open(newest.seed_blob, TransparencyKeyAad(newest.public_key));
  // A key that opens under no configured master key leaves the log keyless (the routes answer
  // 503): generating another would break the continuity of its signatures.
  if (!seed.ok()) return Status::Ok();
  auto pub = tlog::Ed25519PublicKey(seed.value());
  if (!pub.ok() || pub.value() != newest.public_key) {
    return Status::Unavailable("the transparency signing key does not match its public key");
  }
  std::lock_guard<std::mutex> lock(mu_);
  key_ = Key{seed.value(), newest.public_key};
  return Status::Ok();
}

bool Transparency::has_key() const { return key().has_value(); }

std::optional<Transparency::Key> Transparency::key() const {
  std::lock_guard<std::mutex> lock(mu_);
  return key_;
}

Status Transparency::NeedKey() const {
  return has_key() ? Status::Ok() : Status::NotConfigured(kNeedsMasterKey);
}

std::string Transparency::Origin(const std::string& project_id) const {
  return host_ + "/vigil/" + project_id;
}

Result<std::string> Transparency::VerifierKey(const std::string& project_id) const {
  std::optional<Key> k = key();
  if (!k) return Status::NotConfigured(kNeedsMasterKey);
  return tlog::FormatVerifierKey(Origin(project_id), k->public_key);
}

Result<uint64_t> Transparency::TreeSize(int64_t project) {
  auto log =
      store_->ReadValue([&](ReadTxn& txn) { return storage::GetTransparencyLog(txn, project); });
  if (!log.ok()) return log.status();
  return log.value() ? log.value()->size : 0;
}

Result<std::string> Transparency::SignCheckpoint(int64_t project, const std::string& project_id,
                                                 int64_t now_ms) {
  std::optional<Key> k = key();
  if (!k) return Status::NotConfigured(kNeedsMasterKey);
  tlog::Checkpoint c;
  c.origin = Origin(project_id);
  Status s = store_->Read([&](ReadTxn& txn) {
    auto log = storage::GetTransparencyLog(txn, project);
    if (!log.ok()) return log.status();
    if (log.value()) {
      c.origin = log.value()->origin;  // fixed when the log was created
      c.size = log.value()->size;
    }
    auto root = tlog::TreeHash(c.size, storage::TreeNodes(txn, project));
    if (!root.ok()) return root.status();
    c.root = root.value();
    return Status::Ok();
  });
  if (!s.ok()) return s;
  auto note = tlog::SignNote(tlog::FormatCheckpoint(c), c.origin, k->seed);
  if (!note.ok()) return note.status();
  if (c.size == 0) return note;  // nothing to keep: the empty tree
  s = store_->Write([&](WriteTxn& txn) {
    return storage::InsertCheckpoint(txn, project, {c.size, note.value(), now_ms});
  });
  if (!s.ok()) return s;
  return note;
}

Result<std::string> Transparency::Checkpoint(int64_t project, const std::string& project_id,
                                             uint64_t min_size, int64_t now_ms) {
  auto note = LogCheckpoint(project, project_id, min_size, now_ms);
  if (!note.ok()) return note;
  return WithCosignatures(project, std::move(note.value()));
}

Result<std::string> Transparency::LogCheckpoint(int64_t project, const std::string& project_id,
                                                uint64_t min_size, int64_t now_ms) {
  std::optional<Key> k = key();
  if (!k) return Status::NotConfigured(kNeedsMasterKey);
  std::optional<storage::CheckpointRow> latest;
  uint64_t size = 0;
  Status s = store_->Read([&](ReadTxn& txn) {
    auto log = storage::GetTransparencyLog(txn, project);
    if (!log.ok()) return log.status();
    size = log.value() ? log.value()->size : 0;
    auto row = storage::LatestCheckpoint(txn, project);
    if (!row.ok()) return row.status();
    latest = row.value();
    return Status::Ok();
  });
  if (!s.ok()) return s;
  if (latest && latest->size >= min_size && NoteSignedByKey(latest->note, k->public_key) &&
      (latest->size == size || now_ms - latest->signed_at_ms < limits::kCheckpointMinIntervalMs)) {
    return latest->note;
  }
  return SignCheckpoint(project, project_id, now_ms);
}

Result<std::string> Transparency::FullCheckpoint(int64_t project, const std::string& project_id,
                                                 int64_t now_ms) {
  auto size = TreeSize(project);
  if (!size.ok()) return size.status();
  return Checkpoint(project, project_id, size.value(), now_ms);
}

Status Transparency::MaybeSign(int64_t project, const std::string& project_id, int64_t now_ms) {
  if (!has_key()) return Status::Ok();
  return LogCheckpoint(project, project_id, 0, now_ms).status();
}

Result<std::vector<tlog::Hash>> Transparency::InclusionProof(int64_t project, uint64_t index,
                                                             uint64_t tree_size) {
  Status need = NeedKey();
  if (!need.ok()) return need;
  return store_->ReadValue([&](ReadTxn& txn) -> Result<std::vector<tlog::Hash>> {
    auto log = storage::GetTransparencyLog(txn, project);
    if (!log.ok()) return log.status();
    const uint64_t size = log.value() ? log.value()->size : 0;
    if (tree_size > size) return Status::InvalidArgument("tree_size is beyond the log");
    if (index >= tree_size) return Status::InvalidArgument("index must be below tree_size");
    return tlog::InclusionProof(index, tree_size, storage::TreeNodes(txn, project));
  });
}

Result<std::vector<tlog::Hash>> Transparency::ConsistencyProof(int64_t project, uint64_t from,
                                                               uint64_t to) {
  Status need = NeedKey();
  if (!need.ok()) return need;
  return store_->ReadValue([&](ReadTxn& txn) -> Result<std::vector<tlog::Hash>> {
    auto log = storage::GetTransparencyLog(txn, project);
    if (!log.ok()) return log.status();
    const uint64_t size = log.value() ? log.value()->size : 0;
    if (to > size) return Status::InvalidArgument("to is beyond the log");
    if (from > to) return Status::InvalidArgument("from must not exceed to");
    return tlog::ConsistencyProof(from, to, storage::TreeNodes(txn, project));
  });
}

Result<std::string> Transparency::Tile(int64_t project, const tlog::TilePath& path) {
  Status need = NeedKey();
  if (!need.ok()) return need;
  return store_->ReadValue([&](ReadTxn& txn) -> Result<std::string> {
    auto log = storage::GetTransparencyLog(txn, project);
    if (!log.ok()) return log.status();
    const uint64_t size = log.value() ? log.value()->size : 0;
    if (!tlog::TreeHoldsTile(size, path)) return Status::NotFound("no such tile");
    const uint64_t first = path.index * tlog::kTileWidth;
    std::string out;
    if (path.entries) {
      auto seals = storage::ListSeals(txn, project, first, path.width);
      if (!seals.ok()) return seals.status();
      std::vector<std::string> entries;
      for (const storage::SealRecord& r : seals.value()) entries.push_back(r.entry);
      return tlog::EntryBundle(entries);
    }
    for (int i = 0; i < path.width; ++i) {
      auto h = storage::LoadTreeNode(txn, project, path.level * tlog::kTileHeight,
                                     first + static_cast<uint64_t>(i));
      if (!h.ok()) return h.status();
      out += tlog::HashBytes(h.value());
    }
    return out;
  });
}

Result<Certificate> Transparency::CertificateOf(int64_t project, const std::string& project_id,
                                                const std::string& execution_id, int64_t now_ms) {
  Status need = NeedKey();
  if (!need.ok()) return need;
  std::optional<storage::SealRecord> seal;
  std::optional<bool> terminal;
  Status s = store_->Read([&](ReadTxn& txn) {
    auto found = storage::FindSeal(txn, project, execution_id);
    if (!found.ok()) return found.status();
    seal = found.value();
    if (seal) return Status::Ok();
    auto t = storage::ExecutionIsTerminal(txn, project, execution_id);
    if (!t.ok()) return t.status();
    terminal = t.value();
    return Status::Ok();
  });
  if (!s.ok()) return s;
  if (!seal) {
    if (!terminal) return Status::NotFound("execution not found");
    return Status::Conflict(*terminal ? "execution is not sealed yet: retry in a few seconds"
                                      : "execution is still running: it is sealed once it ends");
  }
  auto note = CertificateCheckpoint(project, project_id, seal->index + 1, now_ms);
  if (!note.ok()) return note.status();
  auto parsed = tlog::ParseCheckpoint(note.value().substr(0, note.value().find("\n\n") + 1));
  if (!parsed.ok()) return Status::Internal("stored checkpoint does not parse");
  auto hashes = InclusionProof(project, seal->index, parsed->size);
  if (!hashes.ok()) return hashes.status();
  tlog::ProofText proof{seal->index, hashes.value(), note.value()};
  return Certificate{seal->entry, seal->index, tlog::FormatProofText(proof)};
}

}  // namespace vigil
