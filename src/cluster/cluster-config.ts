import { Type, type Static } from '@sinclair/typebox';

/** Several nodes sharing one PostgreSQL store (docs/scaling.md). A single box needs none of it. */
export const ClusterConfig = Type.Object(
  {
    node_id: Type.String({
      pattern: '^$|^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$',
      description:
        "This node's name in the cluster, stable across restarts (its left-open calls are its own to close); empty = one made on first start and kept in data.dir/node-id",
    }),
    api_url: Type.String({
      pattern: '^$|^https?://',
      description:
        "How the other nodes reach this node's API (requests about a call it holds are sent here); empty = http://<api.host or host name>:<api.port>",
    }),
    heartbeat_ms: Type.Integer({
      minimum: 200,
      maximum: 60_000,
      description: 'How often this node writes its heartbeat, active calls and draining flag to the store',
    }),
    lease_ms: Type.Integer({
      minimum: 1000,
      maximum: 3_600_000,
      description:
        'A node whose heartbeat is older than this is dead: a survivor closes its open calls and runs their after-call work',
    }),
  },
  { additionalProperties: false },
);

export type ClusterSettings = Static<typeof ClusterConfig>;
