export * from './voicemail-repository.js';
export * from './voicemail-recorder.js';
export * from './voicemail-email.js';
export * from './voicemail-email-handler.js';
