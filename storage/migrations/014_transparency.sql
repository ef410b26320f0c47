-- The transparency log of each project (docs/transparency.md): every execution that reaches a
-- terminal status is appended once, as canonical bytes of digests and identifiers. Entries and
-- tree hashes are append-only (the triggers below refuse UPDATE and DELETE), and none of these
-- tables references projects or executions: retention and project deletion remove the data, the
-- log keeps its entries.

-- The server's Ed25519 signing keys; the newest signs. The private half (the 32-byte seed) is
-- sealed with AES-256-GCM under the master key, never stored in plaintext.
CREATE TABLE transparency_keys (
  id         INTEGER PRIMARY KEY,
  public_key BLOB    NOT NULL UNIQUE,
  seed_enc   BLOB    NOT NULL,
  created_at INTEGER NOT NULL
);

-- One log per project; its origin is fixed when it is created.
CREATE TABLE transparency_logs (
  project    INTEGER PRIMARY KEY,
  origin     TEXT    NOT NULL,
  size       INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
);

-- Entry `idx` of a project's log: the sealed execution, the entry bytes, the highest event row
-- sealed in its transcript (later rows arrived after the seal) and the execution's revision then.
CREATE TABLE transparency_entries (
  project         INTEGER NOT NULL,
  idx             INTEGER NOT NULL,
  execution_id    TEXT    NOT NULL,
  entry           BLOB    NOT NULL,
  last_event      INTEGER NOT NULL,
  sealed_revision INTEGER NOT NULL,
  sealed_at       INTEGER NOT NULL,
  PRIMARY KEY (project, idx),
  UNIQUE (project, execution_id)
) WITHOUT ROWID;

-- The hash of every complete subtree (level 0 = leaf hashes): proofs and tiles read these instead
-- of re-hashing the log.
CREATE TABLE transparency_nodes (
  project INTEGER NOT NULL,
  level   INTEGER NOT NULL,
  idx     INTEGER NOT NULL,
  hash    BLOB    NOT NULL,
  PRIMARY KEY (project, level, idx)
) WITHOUT ROWID;

-- Signed checkpoints, as served (C2SP signed notes).
CREATE TABLE transparency_checkpoints (
  project   INTEGER NOT NULL,
  size      INTEGER NOT NULL,
  note      TEXT    NOT NULL,
  signed_at INTEGER NOT NULL,
  PRIMARY KEY (project, size)
) WITHOUT ROWID;

CREATE TRIGGER transparency_entries_append_only_update BEFORE UPDATE ON transparency_entries
BEGIN SELECT RAISE(ABORT, 'transparency entries are append-only'); END;
CREATE TRIGGER transparency_entries_append_only_delete BEFORE DELETE ON transparency_entries
BEGIN SELECT RAISE(ABORT, 'transparency entries are append-only'); END;
CREATE TRIGGER transparency_nodes_append_only_update BEFORE UPDATE ON transparency_nodes
BEGIN SELECT RAISE(ABORT, 'transparency hashes are append-only'); END;
CREATE TRIGGER transparency_nodes_append_only_delete BEFORE DELETE ON transparency_nodes
BEGIN SELECT RAISE(ABORT, 'transparency hashes are append-only'); END;

-- Executions that became terminal and are not sealed yet, in the order they ended. The triggers
-- queue them in the very transaction that makes them terminal, so an acknowledged terminal
-- execution is sealed even when the server dies before sealing it (docs/transparency.md#sealing).
CREATE TABLE transparency_pending (
  id           INTEGER PRIMARY KEY,
  project      INTEGER NOT NULL,
  execution_id TEXT    NOT NULL,
  UNIQUE (project, execution_id)
);

CREATE TRIGGER transparency_queue_on_insert AFTER INSERT ON executions
WHEN NEW.status <> 'started'
BEGIN
  INSERT OR IGNORE INTO transparency_pending (project, execution_id)
  VALUES (NEW.project, NEW.execution_id);
END;
CREATE TRIGGER transparency_queue_on_update AFTER UPDATE OF status ON executions
WHEN NEW.status <> 'started' AND OLD.status = 'started'
BEGIN
  INSERT OR IGNORE INTO transparency_pending (project, execution_id)
  VALUES (NEW.project, NEW.execution_id);
END;

-- Executions already terminal when the log was introduced are sealed too.
INSERT OR IGNORE INTO transparency_pending (project, execution_id)
SELECT project, execution_id FROM executions WHERE status <> 'started'
ORDER BY COALESCE(ended_at, started_at), id;
