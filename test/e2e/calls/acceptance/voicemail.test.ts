/**
 * Acceptance on the embedded backend: the voicemail flow (voicemail-flow.ts). Port block: 43000-43499.
 */
import { embeddedBackend } from './acceptance-server.js';
import { voicemailFlow } from './voicemail-flow.js';

voicemailFlow({ base: 43000, label: 'embedded', backend: () => embeddedBackend });
