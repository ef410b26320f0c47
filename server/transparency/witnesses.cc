// Witness cosignatures of the project logs' checkpoints (server/transparency/transparency.h,
// docs/transparency.md#witnesses).
#include "domain/tlog/cosignature.h"
#include "server/limits.h"
#include "server/transparency/transparency.h"

namespace vigil {

Result<std::vector<storage::CosignatureRow>> Transparency::VerifiedCosignatures(
    int64_t project, const tlog::SplitNoteResult& note, int64_t now_ms, std::string* stored_note) {
  auto checkpoint = tlog::ParseCheckpoint(note.text);
  if (!checkpoint.ok()) return checkpoint.status();
  auto stored = store_->ReadValue(
      [&](ReadTxn& txn) { return storage::CheckpointOfSize(txn, project, checkpoint->size); });
  if (!stored.ok()) return stored.status();
  if (!stored.value()) {
    return Status::NotFound(
        "the log has no checkpoint of that size: cosign one that "
        "GET /transparency/checkpoint served");
  }
  *stored_note = stored.value()->note;
  auto ours = tlog::SplitNote(*stored_note);
  if (!ours.ok()) return Status::Internal("stored checkpoint does not parse");
  if (ours->text != note.text) {
    return Status::InvalidArgument("the checkpoint differs from the log's checkpoint of that size");
  }
  std::vector<storage::CosignatureRow> rows;
  for (const tlog::NoteSignature& sig : note.signatures) {
    if (sig.name == checkpoint->origin) continue;  // the log's own signature
    const tlog::VerifierKey* witness = nullptr;
    for (const tlog::VerifierKey& w : witnesses_) {
      if (tlog::SignedBy(sig, w)) witness = &w;
    }
    if (witness == nullptr) {
      return Status::InvalidArgument("signature line by a key that is not a configured witness: " +
                                     sig.name);
    }
    auto time_s = tlog::VerifyCosignature(*witness, note.text, sig);
    if (!time_s.ok()) return time_s.status();
    if (time_s.value() > static_cast<uint64_t>(now_ms + limits::kCosignatureMaxFutureMs) / 1000) {
      return Status::InvalidArgument("cosignature by " + sig.name + " is dated in the future");
    }
    rows.push_back({checkpoint->size, sig.name, sig.key_id, sig.signature,
                    static_cast<int64_t>(time_s.value()), now_ms});
  }
  if (rows.empty()) return Status::InvalidArgument("the note carries no witness cosignature");
  return rows;
}

Result<Transparency::Cosigned> Transparency::AddCosignatures(int64_t project, std::string_view note,
                                                             int64_t now_ms) {
  Status need = NeedKey();
  if (!need.ok()) return need;
  if (witnesses_.empty()) {
    return Status::Forbidden("no witnesses are configured (VIGIL_TRANSPARENCY_WITNESSES)");
  }
  auto split = tlog::SplitNote(note);
  if (!split.ok()) return split.status();
  std::string stored;
  auto rows = VerifiedCosignatures(project, split.value(), now_ms, &stored);
  if (!rows.ok()) return rows.status();
  int64_t added = 0;
  Status s = store_->Write([&](WriteTxn& txn) {
    added = 0;
    for (const storage::CosignatureRow& row : rows.value()) {
      auto inserted = storage::InsertCosignature(txn, project, row);
      if (!inserted.ok()) return inserted.status();
      added += inserted.value() ? 1 : 0;
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  auto cosigned = WithCosignatures(project, std::move(stored));
  if (!cosigned.ok()) return cosigned.status();
  return Cosigned{added, std::move(cosigned.value())};
}

Result<std::string> Transparency::CertificateCheckpoint(int64_t project,
                                                        const std::string& project_id,
                                                        uint64_t min_size, int64_t now_ms) {
  std::optional<Key> k = key();
  if (k && !witnesses_.empty()) {
    auto cosigned = store_->ReadValue(
        [&](ReadTxn& txn) { return storage::LatestCosignedCheckpoint(txn, project, min_size); });
    if (!cosigned.ok()) return cosigned.status();
    if (cosigned.value() && NoteSignedByKey(cosigned.value()->note, k->public_key)) {
      return WithCosignatures(project, cosigned.value()->note);
    }
  }
  return Checkpoint(project, project_id, min_size, now_ms);
}

Result<std::string> Transparency::WithCosignatures(int64_t project, std::string note) {
  if (witnesses_.empty()) return note;
  auto checkpoint = tlog::ParseCheckpoint(note.substr(0, note.find("\n\n") + 1));
  if (!checkpoint.ok()) return Status::Internal("stored checkpoint does not parse");
  auto rows = store_->ReadValue(
      [&](ReadTxn& txn) { return storage::ListCosignatures(txn, project, checkpoint->size); });
  if (!rows.ok()) return rows.status();
  for (const storage::CosignatureRow& row : rows.value()) {
    // Only keys still configured: a witness removed from the setting is no longer vouched for.
    for (const tlog::VerifierKey& w : witnesses_) {
      if (w.name == row.witness && w.key_id == row.key_id) {
        note += tlog::FormatNoteSignature({row.witness, row.key_id, row.signature});
        break;
      }
    }
  }
  return note;
}

}  // namespace vigil
