import * as m012 from './012-call-node.js';

/**
 * PostgreSQL migrations. Version numbers match the SQLite ones (src/store/migrations): a database on either
 * engine at version N has the same tables, columns and constraints. The first migration is the whole
 * schema as of SQLite version 10; every later one exists for both engines.
 */
export const postgresMigrations: ReadonlyArray<{ version: number; name: string; up: string }> = [
  { version: 12, name: 'call-node', up: m012.up },
];
