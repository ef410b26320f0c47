-- Bumped by every write to an execution or its events. A detection pass computed off the writer
-- thread commits only if the revision it read is still current (optimistic concurrency).
ALTER TABLE executions ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;
