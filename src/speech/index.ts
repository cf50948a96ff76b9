export type { SpeechRequest, SpeechSynthesizer } from './speech-synthesizer.js';
export type { SpeechProvider } from './speech-provider.js';
export { EspeakProvider, type EspeakOptions } from './espeak-provider.js';
export { PromptCache } from './prompt-cache.js';
export { createSpeechSynthesizer, type SpeechSettings } from './create-speech.js';
export { SpeechProviderError, failureOfStatus, type SpeechFailure } from './speech-error.js';
export { encodeWav } from './wav.js';
export { DeepgramRecognizer, type DeepgramRecognizerOptions } from './recognition/deepgram-recognizer.js';
export {
  OpenAiTranscriptionRecognizer,
  type OpenAiTranscriptionRecognizerOptions,
} from './recognition/openai-transcription-recognizer.js';
