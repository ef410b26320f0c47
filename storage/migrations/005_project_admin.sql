-- Admin and billing state of a project (docs/api.md#billing, docs/api.md#admin-projects).
ALTER TABLE projects ADD COLUMN granted_executions INTEGER NOT NULL DEFAULT 0;
ALTER TABLE projects ADD COLUMN granted_executions_expires_at INTEGER;
ALTER TABLE projects ADD COLUMN tier_expires_at INTEGER;
ALTER TABLE projects ADD COLUMN stripe_customer_id TEXT;
ALTER TABLE projects ADD COLUMN stripe_subscription_id TEXT;
ALTER TABLE projects ADD COLUMN current_period_start INTEGER;
ALTER TABLE projects ADD COLUMN current_period_end INTEGER;
