-- The agent's build identity on each execution (docs/protocol.md#build-identity): the code it ran
-- (`code_version`, e.g. a git commit) and the image it ran in (`container_digest`). NULL = not
-- sent, as for every execution of a Mesedi SDK.
ALTER TABLE executions ADD COLUMN code_version TEXT;
ALTER TABLE executions ADD COLUMN container_digest TEXT;

-- An execution's crash cause is its latest `exception` event (docs/api.md#reads). The detail read
-- finds it here in one probe instead of reading every event of a long execution; executions
-- without one cost nothing.
CREATE INDEX events_exceptions ON events(execution, sequence DESC, id DESC)
  WHERE event_type = 'exception';
