export * from './cold-transfer.js';
export * from './warm-transfer.js';
export * from './whisper-summary.js';
export * from './transfer-record.js';
export * from './leg-links.js';
