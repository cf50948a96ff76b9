/** Outbox rows pinned to a node: the same change as SQLite's migration 14 (src/store/migrations/014-outbox-node.ts). */
export { up } from '../../migrations/014-outbox-node.js';
