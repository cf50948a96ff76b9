/** Which node holds each call: the same change as SQLite's migration 12 (src/store/migrations/012-call-node.ts). */
export { up } from '../../migrations/012-call-node.js';
