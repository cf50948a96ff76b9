/**
 * Outbox rows only one node can deliver (docs/scaling.md): a recording upload or a voicemail email reads
 * a file on the disk of the node that recorded it. `node_id` names that node; NULL (every other row) lets
 * any node deliver it.
 */
export const up = `
ALTER TABLE outbox ADD COLUMN node_id TEXT;
`;
