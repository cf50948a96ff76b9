export * from './scenario-schema.js';
export * from './caller-simulator.js';
export * from './caller-conversation.js';
export * from './caller-judge.js';
export * from './scenario-runner.js';
