/** Attempts record their node, one in flight per contact: the same change as SQLite's migration 13 (src/store/migrations/013-campaign-attempt-node.ts). */
export { up } from '../../migrations/013-campaign-attempt-node.js';
