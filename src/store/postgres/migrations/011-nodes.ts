/**
 * Cluster membership: the `nodes` table of SQLite migration 11 (src/store/migrations/011-nodes.ts, which
 * says what each column means), plus the `rowid` column every PostgreSQL table without an integer key has.
 */
export const up = `
CREATE TABLE nodes (
  id TEXT PRIMARY KEY,
  api_url TEXT NOT NULL DEFAULT '',
  sip_uri TEXT NOT NULL DEFAULT '',
  started_at TEXT NOT NULL,
  heartbeat_at TEXT NOT NULL,
  active_calls INTEGER NOT NULL DEFAULT 0 CHECK (active_calls >= 0),
  call_limit INTEGER CHECK (call_limit >= 0),
  draining INTEGER NOT NULL DEFAULT 0 CHECK (draining IN (0,1)),
  rowid BIGINT GENERATED ALWAYS AS IDENTITY
);
CREATE INDEX nodes_by_heartbeat ON nodes (heartbeat_at);
`;
