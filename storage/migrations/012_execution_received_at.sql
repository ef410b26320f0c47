-- When the server received an execution: first (`received_at`, the row's creation) and last
-- (`last_received_at`, the latest write that stored something for it: its own fields or new
-- events). Both are the server's clock in Unix milliseconds, never a client's, so retention
-- (docs/operations.md#retention) cannot be misled by an SDK whose clock is wrong.
ALTER TABLE executions ADD COLUMN received_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE executions ADD COLUMN last_received_at INTEGER NOT NULL DEFAULT 0;

-- Rows stored before this migration have no time of receipt, and their client timestamps are
-- exactly what must not be trusted: they count as received now, so retention keeps them for one
-- full window from the upgrade and never deletes one early.
UPDATE executions SET
  received_at = CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER),
  last_received_at = CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER);

-- Retention's scan: received_at <= last_received_at, so the first receipt bounds the candidates
-- and the index narrows a pass to the executions it may delete.
CREATE INDEX executions_by_received ON executions(project, received_at);
