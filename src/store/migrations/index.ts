import * as m001 from './001-domain.js';
import * as m002 from './002-outbox-chain-columns.js';
import * as m003 from './003-agent-speech.js';
import * as m004 from './004-agent-kinds.js';
import * as m005 from './005-outbox-traceparent.js';
import * as m006 from './006-call-recording.js';
import * as m007 from './007-answering-machine-detection.js';
import * as m008 from './008-campaigns.js';
import * as m009 from './009-dashboard-sessions.js';
import * as m010 from './010-dnc-changes.js';
import * as m011 from './011-nodes.js';
import * as m012 from './012-call-node.js';
import * as m013 from './013-campaign-attempt-node.js';
import * as m014 from './014-outbox-node.js';

/** Numbered migrations; the database's `PRAGMA user_version` is the number of the last one applied. */
export const migrations: ReadonlyArray<{
  version: number;
  name: string;
  up: string;
  /** Rebuilds a table others reference: run with foreign keys off, then checked (see database.ts). */
  foreignKeysOff?: boolean;
}> = [
  { version: 1, name: 'domain', up: m001.up },
  { version: 2, name: 'outbox-chain-columns', up: m002.up },
  { version: 3, name: 'agent-speech', up: m003.up },
  { version: 4, name: 'agent-kinds', up: m004.up, foreignKeysOff: m004.foreignKeysOff },
  { version: 5, name: 'outbox-traceparent', up: m005.up },
  { version: 6, name: 'call-recording', up: m006.up },
  { version: 7, name: 'answering-machine-detection', up: m007.up },
  { version: 8, name: 'campaigns', up: m008.up },
  { version: 9, name: 'dashboard-sessions', up: m009.up },
  { version: 10, name: 'dnc-changes', up: m010.up },
  { version: 11, name: 'nodes', up: m011.up },
  { version: 12, name: 'call-node', up: m012.up },
  { version: 13, name: 'campaign-attempt-node', up: m013.up },
  { version: 14, name: 'outbox-node', up: m014.up },
];
