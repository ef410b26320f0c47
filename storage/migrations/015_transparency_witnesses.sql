-- Witness cosignatures of the transparency logs' checkpoints (docs/transparency.md#witnesses):
-- C2SP tlog-cosignature lines, verified against the configured witness keys before they are
-- stored, and served as further signature lines on the checkpoint of that size. At most one per
-- witness key and checkpoint (the first received is kept); append-only like the entries.
CREATE TABLE transparency_cosignatures (
  project     INTEGER NOT NULL,
  size        INTEGER NOT NULL,
  witness     TEXT    NOT NULL,  -- the witness key's name
  key_id      BLOB    NOT NULL,  -- 4 bytes
  signature   BLOB    NOT NULL,  -- timestamped_signature: 8-byte time ‖ Ed25519 signature
  cosigned_at INTEGER NOT NULL,  -- its time, POSIX seconds
  received_at INTEGER NOT NULL,
  PRIMARY KEY (project, size, witness, key_id)
) WITHOUT ROWID;

CREATE TRIGGER transparency_cosignatures_append_only_update
BEFORE UPDATE ON transparency_cosignatures
BEGIN SELECT RAISE(ABORT, 'transparency cosignatures are append-only'); END;
CREATE TRIGGER transparency_cosignatures_append_only_delete
BEFORE DELETE ON transparency_cosignatures
BEGIN SELECT RAISE(ABORT, 'transparency cosignatures are append-only'); END;
