-- Audit log (docs/api.md#audit-log). `project` is the internal id, NULL for rows that belong to no project
-- (an admin request across projects, the row kept after a project is deleted). AUTOINCREMENT:
-- audit_id only ever increases, even after the newest rows are deleted with their project.
CREATE TABLE audit_log (
  audit_id  INTEGER PRIMARY KEY AUTOINCREMENT,
  time      INTEGER NOT NULL,
  project   INTEGER,
  actor     TEXT    NOT NULL,
  key_id    TEXT,
  action    TEXT    NOT NULL,
  method    TEXT,
  path      TEXT,
  status    INTEGER,
  client_ip TEXT,
  detail    TEXT
);
CREATE INDEX audit_by_project ON audit_log(project, audit_id);
CREATE INDEX audit_by_time ON audit_log(time);

-- Verified Stripe events already applied (docs/api.md#stripe-webhook): each acts once.
CREATE TABLE stripe_events (
  event_id    TEXT    PRIMARY KEY,
  type        TEXT    NOT NULL,
  project     INTEGER,
  received_at INTEGER NOT NULL
);
CREATE INDEX stripe_events_by_time ON stripe_events(received_at);

-- Abuse signals (docs/api.md#abuse-signals).
CREATE TABLE abuse_signals (
  signal_id       TEXT    PRIMARY KEY,
  project         INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  kind            TEXT    NOT NULL,
  severity        TEXT    NOT NULL,
  detail          TEXT,
  detected_at     INTEGER NOT NULL,
  notified_at     INTEGER,
  suspended_at    INTEGER,
  resolved_at     INTEGER,
  resolved_by     TEXT,
  resolution_note TEXT
);
CREATE INDEX abuse_by_detected ON abuse_signals(detected_at);

-- Start of the UTC calendar month executions_this_period counts, for projects without a Stripe
-- period (docs/api.md#tiers-and-usage). NULL = never counted.
ALTER TABLE projects ADD COLUMN usage_month_start INTEGER;
