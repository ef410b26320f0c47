-- The event-id index in two levels (storage/DESIGN.md, "Event ids decide the write cost"): the
-- writer's sorted generations go into the current part of the small level, `event_ids_recent`;
-- a full part is sealed and moved into the large level, `event_ids`, a key range per group. Each
-- merge then spreads over an index of bounded size, so the pages written per id stop growing
-- with the data. `part` is 0 or 1: the current part and the sealed one take turns.
CREATE TABLE event_ids_recent (
  part     INTEGER NOT NULL CHECK (part IN (0, 1)),
  project  INTEGER NOT NULL,
  event_id TEXT    NOT NULL,
  PRIMARY KEY (part, project, event_id)
) WITHOUT ROWID;

-- A deleted event gives up its id in whichever level holds it.
DROP TRIGGER events_release_id;
CREATE TRIGGER events_release_id AFTER DELETE ON events BEGIN
  DELETE FROM event_ids WHERE project = OLD.project AND event_id = OLD.event_id;
  DELETE FROM event_ids_recent
    WHERE part IN (0, 1) AND project = OLD.project AND event_id = OLD.event_id;
END;

-- Which part is current, and about how many ids each part holds (counts from above: deletes do
-- not lower them). They pace the moves and decide when to seal; they never decide a duplicate.
ALTER TABLE event_id_merge ADD COLUMN current_part INTEGER NOT NULL DEFAULT 0;
ALTER TABLE event_id_merge ADD COLUMN current_ids INTEGER NOT NULL DEFAULT 0;
ALTER TABLE event_id_merge ADD COLUMN sealed_ids INTEGER NOT NULL DEFAULT 0;
