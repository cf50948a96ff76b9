/**
 * Cluster membership (docs/postgres.md): one row per running Callwright node, written by the node
 * itself. `heartbeat_at` (ISO-8601, like every timestamp) says it is alive; `active_calls` against
 * `call_limit` (NULL = no limit) is its free capacity; `draining` = 1 while it finishes its calls and
 * takes no new ones. A single box has one row. The outbox already names the node holding a claim
 * (`claimed_by`) and when it took it (`claimed_at`, the start of the lease), so it gains nothing here.
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
  draining INTEGER NOT NULL DEFAULT 0 CHECK (draining IN (0,1))
);
CREATE INDEX nodes_by_heartbeat ON nodes (heartbeat_at);
`;
