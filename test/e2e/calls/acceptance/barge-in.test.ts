/**
 * Acceptance on the embedded backend: the barge-in flow (barge-in-flow.ts). Port block: 28500-28999.
 */
import { embeddedBackend } from './acceptance-server.js';
import { bargeInFlow } from './barge-in-flow.js';

bargeInFlow({ base: 28500, label: 'embedded', backend: () => embeddedBackend });
