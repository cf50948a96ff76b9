export * from './chat-client.js';
export * from './call-transcript.js';
export * from './summarizer.js';
export * from './llm-services.js';
