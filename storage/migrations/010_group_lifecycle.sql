-- Why a finding fired, in one sentence for a person (detectors/detectors.h Finding::detail), and
-- the same sentence on the webhook message a finding queues. Findings stored before have none.
ALTER TABLE findings ADD COLUMN detail TEXT NOT NULL DEFAULT '';
ALTER TABLE webhook_outbox ADD COLUMN detail TEXT;

-- The lifecycle of a failure group (docs/detection.md#group-lifecycle): open, resolved or muted,
-- with when it entered that state and who moved it there (an API key's id, or `system` when a
-- resolved group recurred). Existing groups are open and were never moved.
ALTER TABLE failure_groups ADD COLUMN state TEXT NOT NULL DEFAULT 'open'
  CHECK (state IN ('open', 'resolved', 'muted'));
ALTER TABLE failure_groups ADD COLUMN state_changed_at INTEGER;
ALTER TABLE failure_groups ADD COLUMN state_changed_by TEXT;
-- GET /failure-groups?state=... reads one state in the list's own order (last_seen DESC), and
-- GET /stats counts the open groups, from this index.
CREATE INDEX failure_groups_by_state ON failure_groups(project, state, last_seen DESC);
