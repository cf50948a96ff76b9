/**
 * Campaigns on several nodes sharing one database (docs/campaigns.md): each attempt records the node that
 * dials it, so a node restarting resolves only its own left-open attempts and a survivor resolves those
 * of a node that died. One attempt in flight per contact is a unique index, not a read before the claim:
 * two nodes claiming the same person (in one campaign or two) at once, one insert wins.
 * Attempts from before have no node (a single box: they are the restarting node's).
 */
export const up = `
ALTER TABLE campaign_attempts ADD COLUMN node_id TEXT;
CREATE UNIQUE INDEX campaign_attempts_one_per_contact ON campaign_attempts (contact_id) WHERE status = 'dialling';
CREATE INDEX campaign_attempts_open_by_node ON campaign_attempts (node_id) WHERE status = 'dialling';
`;
