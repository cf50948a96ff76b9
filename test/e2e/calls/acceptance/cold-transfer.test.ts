/**
 * Acceptance on the embedded backend: the cold-transfer flows (cold-transfer-flow.ts). Port block: 42000-42499.
 */
import { embeddedBackend } from './acceptance-server.js';
import { coldTransferFlow } from './cold-transfer-flow.js';

coldTransferFlow({ base: 42000, label: 'embedded', backend: () => embeddedBackend });
