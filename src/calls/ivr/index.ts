export * from './dtmf-sequence.js';
export * from './ivr-navigator.js';
