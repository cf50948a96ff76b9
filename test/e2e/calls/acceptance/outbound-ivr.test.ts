/**
 * Acceptance on the embedded backend: the outbound IVR flow (outbound-ivr-flow.ts). Port block: 43500-43999.
 */
import { embeddedBackend } from './acceptance-server.js';
import { outboundIvrFlow } from './outbound-ivr-flow.js';

outboundIvrFlow({ base: 43500, label: 'embedded', backend: () => embeddedBackend });
