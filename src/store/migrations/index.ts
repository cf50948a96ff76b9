import * as m001 from './001-domain.js';
import * as m002 from './002-outbox-chain-columns.js';
import * as m003 from './003-agent-speech.js';

/** Numbered migrations; the database's `PRAGMA user_version` is the number of the last one applied. */
export const migrations: ReadonlyArray<{ version: number; name: string; up: string }> = [
  { version: 1, name: 'domain', up: m001.up },
  { version: 2, name: 'outbox-chain-columns', up: m002.up },
  { version: 3, name: 'agent-speech', up: m003.up },
];
