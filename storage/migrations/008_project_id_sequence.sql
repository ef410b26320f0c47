-- Internal project ids are never reused. Without this, deleting the newest project and signing
-- up again would hand its id to the new tenant, and anything still keyed by the old id (a queued
-- audit row, an in-memory counter) would land on the wrong project. `projects.id` cannot become
-- AUTOINCREMENT without rebuilding a table other tables reference, so the high-water mark lives
-- here and every insert takes the next id from it.
CREATE TABLE id_sequences (
  name TEXT    PRIMARY KEY,
  last INTEGER NOT NULL
);
INSERT INTO id_sequences(name, last) SELECT 'projects', COALESCE(MAX(id), 0) FROM projects;
