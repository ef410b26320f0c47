-- Projects (tenants). `id` is internal and never leaves the server; `project_id` is the public id.
CREATE TABLE projects (
  id                     INTEGER PRIMARY KEY,
  project_id             TEXT    NOT NULL UNIQUE,
  name                   TEXT    NOT NULL,
  owner_email            TEXT    NOT NULL DEFAULT '',
  tier                   TEXT    NOT NULL DEFAULT 'hobby',
  created_at             INTEGER NOT NULL,
  executions_this_period INTEGER NOT NULL DEFAULT 0,
  suspended_at           INTEGER,
  suspended_reason       TEXT,
  rate_limit_burst       REAL,
  rate_limit_per_sec     REAL,
  retention_days         INTEGER
);

-- API keys: only the SHA-256 of the raw key is stored.
CREATE TABLE api_keys (
  key_id       TEXT    PRIMARY KEY,
  project      INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  key_hash     TEXT    NOT NULL UNIQUE,
  key_prefix   TEXT    NOT NULL,
  name         TEXT    NOT NULL DEFAULT '',
  created_at   INTEGER NOT NULL,
  last_used_at INTEGER
);
CREATE INDEX api_keys_by_project ON api_keys(project, created_at);

-- Executions, unique per project. NULL = not provided (docs/api.md#json-bodies).
CREATE TABLE executions (
  id                  INTEGER PRIMARY KEY,
  project             INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  execution_id        TEXT    NOT NULL,
  parent_execution_id TEXT,
  status              TEXT    NOT NULL,
  started_at          INTEGER NOT NULL,
  ended_at            INTEGER,
  duration_ms         INTEGER,
  total_tokens_in     INTEGER,
  total_tokens_out    INTEGER,
  estimated_cost_usd  REAL,
  input_summary       TEXT,
  output_summary      TEXT,
  crash_signature     TEXT,
  sdk_version         TEXT,
  sdk_language        TEXT,
  failure_group_id    TEXT,
  budget              TEXT,
  halt_reason         TEXT,
  halt_requested_at   INTEGER,
  -- Maintained by the writer: stored events of this execution (step count, events_total).
  event_count         INTEGER NOT NULL DEFAULT 0,
  UNIQUE (project, execution_id)
);
CREATE INDEX executions_by_start ON executions(project, started_at DESC, execution_id);
CREATE INDEX executions_by_parent ON executions(project, parent_execution_id)
  WHERE parent_execution_id IS NOT NULL;

-- Events, unique per project by event_id; rowid = arrival order.
CREATE TABLE events (
  id           INTEGER PRIMARY KEY,
  project      INTEGER NOT NULL,
  execution    INTEGER NOT NULL REFERENCES executions(id) ON DELETE CASCADE,
  event_id     TEXT    NOT NULL,
  event_type   TEXT    NOT NULL,
  sequence     INTEGER NOT NULL,
  timestamp    INTEGER NOT NULL,
  duration_ms  INTEGER,
  payload      TEXT    NOT NULL,
  UNIQUE (project, event_id)
);
CREATE INDEX events_by_execution ON events(execution, sequence);

-- Failure groups and findings (docs/detection.md#findings-and-groups).
CREATE TABLE failure_groups (
  project             INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  group_id            TEXT    NOT NULL,
  failure_class       TEXT    NOT NULL,
  signature           TEXT    NOT NULL,
  first_seen          INTEGER NOT NULL,
  last_seen           INTEGER NOT NULL,
  sample_execution_id TEXT,
  PRIMARY KEY (project, group_id),
  UNIQUE (project, failure_class, signature)
);
CREATE INDEX failure_groups_by_last_seen ON failure_groups(project, last_seen DESC);

CREATE TABLE findings (
  project       INTEGER NOT NULL,
  execution     INTEGER NOT NULL REFERENCES executions(id) ON DELETE CASCADE,
  detector      TEXT    NOT NULL,
  priority      INTEGER NOT NULL,
  failure_class TEXT    NOT NULL,
  signature     TEXT    NOT NULL,
  group_id      TEXT    NOT NULL,
  detected_at   INTEGER NOT NULL,
  source        TEXT    NOT NULL,
  PRIMARY KEY (execution, detector)
);
CREATE INDEX findings_by_group ON findings(project, group_id);
