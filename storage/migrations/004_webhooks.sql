-- Outgoing webhooks (docs/api.md#webhooks): endpoints, the durable outbox of messages still to send, and the
-- log of every attempt. Deleting a webhook takes its queued messages and log rows with it.
CREATE TABLE project_webhooks (
  id              INTEGER PRIMARY KEY,
  project         INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  webhook_id      TEXT    NOT NULL UNIQUE,
  name            TEXT,
  url             TEXT    NOT NULL,
  -- Comma-separated failure classes; '' = all.
  enabled_classes TEXT    NOT NULL DEFAULT '',
  enabled         INTEGER NOT NULL DEFAULT 1,
  -- The signing secret sealed with AES-256-GCM under the master key (never plaintext).
  secret_enc      BLOB    NOT NULL,
  created_at      INTEGER NOT NULL,
  disabled_at     INTEGER
);
CREATE INDEX project_webhooks_by_project ON project_webhooks(project, created_at DESC);

-- One row per message not yet delivered or given up on. The sender scans by next_attempt_at.
CREATE TABLE webhook_outbox (
  id                  INTEGER PRIMARY KEY,
  project             INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  webhook             INTEGER NOT NULL REFERENCES project_webhooks(id) ON DELETE CASCADE,
  delivery_id         TEXT    NOT NULL UNIQUE,
  event               TEXT    NOT NULL,
  failure_class       TEXT,
  signature           TEXT,
  group_id            TEXT,
  sample_execution_id TEXT,
  attempts            INTEGER NOT NULL DEFAULT 0,
  created_at          INTEGER NOT NULL,
  next_attempt_at     INTEGER NOT NULL
);
CREATE INDEX webhook_outbox_due ON webhook_outbox(next_attempt_at);
CREATE INDEX webhook_outbox_by_webhook ON webhook_outbox(webhook);

-- One row per attempt; delivery_id repeats across the attempts of one message.
CREATE TABLE webhook_deliveries (
  id              INTEGER PRIMARY KEY,
  project         INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  webhook         INTEGER NOT NULL REFERENCES project_webhooks(id) ON DELETE CASCADE,
  delivery_id     TEXT    NOT NULL,
  event           TEXT    NOT NULL,
  failure_class   TEXT,
  signature       TEXT,
  group_id        TEXT,
  attempt         INTEGER NOT NULL,
  status          TEXT    NOT NULL,
  http_status     INTEGER,
  error           TEXT,
  response_body   TEXT,
  duration_ms     INTEGER NOT NULL,
  created_at      INTEGER NOT NULL,
  next_attempt_at INTEGER
);
CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries(webhook, id DESC);
