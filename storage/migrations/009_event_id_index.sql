-- Per-project event-id uniqueness moves from a UNIQUE constraint on `events` to its own index,
-- `event_ids`, which the writer fills in sorted batches (storage/DESIGN.md, "Event ids decide the
-- write cost"). The SDKs' ids are random: inserting each into the unique index as it arrived
-- wrote one random index page per event.
--
-- `events` is rebuilt without the constraint (SQLite cannot drop a table constraint in place).
-- `events.id` is now assigned by the writer, always above the merge watermark below.
CREATE TABLE event_ids (
  project  INTEGER NOT NULL,
  event_id TEXT    NOT NULL,
  PRIMARY KEY (project, event_id)
) WITHOUT ROWID;
INSERT INTO event_ids(project, event_id)
  SELECT project, event_id FROM events ORDER BY project, event_id;

CREATE TABLE events_rebuilt (
  id           INTEGER PRIMARY KEY,
  project      INTEGER NOT NULL,
  execution    INTEGER NOT NULL REFERENCES executions(id) ON DELETE CASCADE,
  event_id     TEXT    NOT NULL,
  event_type   TEXT    NOT NULL,
  sequence     INTEGER NOT NULL,
  timestamp    INTEGER NOT NULL,
  duration_ms  INTEGER,
  payload      TEXT    NOT NULL
);
INSERT INTO events_rebuilt(id, project, execution, event_id, event_type, sequence, timestamp,
                           duration_ms, payload)
  SELECT id, project, execution, event_id, event_type, sequence, timestamp, duration_ms, payload
  FROM events ORDER BY id;
DROP TABLE events;
ALTER TABLE events_rebuilt RENAME TO events;
CREATE INDEX events_by_execution ON events(execution, sequence);

-- A deleted event (retention, project deletion, both through cascades) gives up its id.
CREATE TRIGGER events_release_id AFTER DELETE ON events BEGIN
  DELETE FROM event_ids WHERE project = OLD.project AND event_id = OLD.event_id;
END;

-- The merge watermark: every event with id <= merged_through has its id in event_ids. The ids of
-- later events are found on open by reading the events above it.
CREATE TABLE event_id_merge (
  singleton      INTEGER PRIMARY KEY CHECK (singleton = 1),
  merged_through INTEGER NOT NULL
);
INSERT INTO event_id_merge(singleton, merged_through) SELECT 1, COALESCE(MAX(id), 0) FROM events;
