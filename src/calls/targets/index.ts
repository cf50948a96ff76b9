export * from './call-flow-settings.js';
export * from './target-resolver.js';
export * from './dial-target.js';
