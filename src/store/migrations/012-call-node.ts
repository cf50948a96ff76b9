/**
 * Which node holds each call (docs/scaling.md): API requests about a live call are sent to that node, a
 * node restarting closes only its own left-open calls, and a survivor closes those of a node that died.
 * Calls from before have none (a single box: they are this node's).
 */
export const up = `
ALTER TABLE calls ADD COLUMN node_id TEXT;
CREATE INDEX calls_open_by_node ON calls (node_id) WHERE ended_at IS NULL;
`;
