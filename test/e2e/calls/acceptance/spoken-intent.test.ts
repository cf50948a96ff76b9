/**
 * Acceptance on the embedded backend: the spoken-intent flow (spoken-intent-flow.ts). Port block: 28000-28499.
 */
import { embeddedBackend } from './acceptance-server.js';
import { spokenIntentFlow } from './spoken-intent-flow.js';

spokenIntentFlow({ base: 28000, label: 'embedded', backend: () => embeddedBackend });
