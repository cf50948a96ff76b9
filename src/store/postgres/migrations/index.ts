import * as m010 from './010-schema.js';
import * as m011 from './011-nodes.js';
import * as m012 from './012-call-node.js';
import * as m013 from './013-campaign-attempt-node.js';
import * as m014 from './014-outbox-node.js';

/**
 * PostgreSQL migrations. Version numbers match the SQLite ones (src/store/migrations): a database on either
 * engine at version N has the same tables, columns and constraints. The first migration is the whole
 * schema as of SQLite version 10; every later one exists for both engines.
 */
export const postgresMigrations: ReadonlyArray<{ version: number; name: string; up: string }> = [
  { version: 10, name: 'schema', up: m010.up },
  { version: 11, name: 'nodes', up: m011.up },
  { version: 12, name: 'call-node', up: m012.up },
  { version: 13, name: 'campaign-attempt-node', up: m013.up },
  { version: 14, name: 'outbox-node', up: m014.up },
];
