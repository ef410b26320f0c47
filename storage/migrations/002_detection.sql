-- Per-project detection policy (docs/detection.md#policy), stored as the JSON the API accepted.
CREATE TABLE policies (
  project    INTEGER PRIMARY KEY REFERENCES projects(id) ON DELETE CASCADE,
  policy     TEXT    NOT NULL,
  updated_at INTEGER NOT NULL
);

-- Which models each execution used, and when last: the model-drift history (docs/detection.md#model-drift) without
-- scanning every event of the project. One row per (execution, model); maintained on ingest.
CREATE TABLE model_usage (
  project   INTEGER NOT NULL,
  execution INTEGER NOT NULL REFERENCES executions(id) ON DELETE CASCADE,
  model     TEXT    NOT NULL,
  last_seen INTEGER NOT NULL,
  PRIMARY KEY (execution, model)
);
CREATE INDEX model_usage_by_time ON model_usage(project, last_seen);
