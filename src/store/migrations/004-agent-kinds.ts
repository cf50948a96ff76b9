/**
 * Agents of kind `llm` (a chat model with the agent's actions as tools) and `realtime` (a
 * speech-to-speech model). SQLite cannot change a CHECK constraint in place: the table is rebuilt the
 * documented way (https://www.sqlite.org/lang_altertable.html#otheralter), with foreign keys off so the
 * rows that reference agents are left as they are.
 */
export const foreignKeysOff = true;

export const up = `
CREATE TABLE agents_new (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL CHECK (kind IN ('scripted','webhook','llm','realtime')),
  description TEXT NOT NULL DEFAULT '',
  language TEXT NOT NULL DEFAULT 'en',
  voice TEXT NOT NULL DEFAULT '',
  config TEXT NOT NULL DEFAULT '{}',
  targets TEXT NOT NULL DEFAULT '{}',
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  speech TEXT NOT NULL DEFAULT '{}'
);
INSERT INTO agents_new (id, name, kind, description, language, voice, config, targets, created_at, updated_at, speech)
  SELECT id, name, kind, description, language, voice, config, targets, created_at, updated_at, speech FROM agents;
DROP TABLE agents;
ALTER TABLE agents_new RENAME TO agents;
`;
