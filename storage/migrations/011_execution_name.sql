-- An execution's `name` (a protocol extension: the agent's name as its SDK reports it). NULL = not
-- sent, as for every execution of a Mesedi SDK.
ALTER TABLE executions ADD COLUMN name TEXT;

-- `GET /executions?name=` in the list's own order (started_at DESC, then id), so a filtered page
-- reads a few index rows. Partial: executions without a name cost nothing.
CREATE INDEX executions_by_name ON executions(project, name, started_at DESC, execution_id)
  WHERE name IS NOT NULL;

-- A name's completed executions, most recent first: its baseline reads the first few hundred
-- (docs/detection.md, "Baselines"), and model drift counts those in its window.
CREATE INDEX executions_baseline ON executions(project, name, started_at DESC)
  WHERE name IS NOT NULL AND status = 'completed';
