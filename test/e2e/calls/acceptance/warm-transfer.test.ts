/**
 * Acceptance on the embedded backend: the warm-transfer flow (warm-transfer-flow.ts). Port block: 42500-42999.
 */
import { embeddedBackend } from './acceptance-server.js';
import { warmTransferFlow } from './warm-transfer-flow.js';

warmTransferFlow({ base: 42500, label: 'embedded', backend: () => embeddedBackend });
