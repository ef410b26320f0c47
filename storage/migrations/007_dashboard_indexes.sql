-- Indexes for the dashboard's lists (measured with bench/bench_ui.cc at 1,000,000 events).
-- A status filter (the overview polls the running executions every few seconds) and a parent's
-- children are read in the list's own order (started_at DESC, then id) from these indexes, so a
-- rare status or a short list of children costs a few index rows instead of a walk over every
-- execution of the project. The status index also covers GET /stats.
CREATE INDEX executions_by_status ON executions(project, status, started_at DESC, execution_id);
DROP INDEX executions_by_parent;
CREATE INDEX executions_by_parent ON executions(project, parent_execution_id, started_at DESC,
                                                execution_id)
  WHERE parent_execution_id IS NOT NULL;
