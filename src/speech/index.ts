export type { SpeechRequest, SpeechSynthesizer } from './speech-synthesizer.js';
export type { SpeechProvider } from './speech-provider.js';
export { EspeakProvider, type EspeakOptions } from './espeak-provider.js';
export { PromptCache } from './prompt-cache.js';
export { createSpeechSynthesizer, type SpeechSettings } from './create-speech.js';
export { SpeechProviderError, failureOfStatus, type SpeechFailure } from './speech-error.js';
export { encodeWavFile, readWavFile } from './synthesis/wav-file.js';
export { DeepgramRecognizer, type DeepgramRecognizerOptions } from './recognition/deepgram-recognizer.js';
export {
  OpenAiTranscriptionRecognizer,
  type OpenAiTranscriptionRecognizerOptions,
} from './recognition/openai-transcription-recognizer.js';
// Streaming synthesis: espeak-ng above, the cloud providers, the sentence cutter and the cached stream.
export type { PcmChunk, StreamingSynthesizer } from './speech-synthesizer.js';
export { checkSpeechText } from './prompt-cache.js';
export { OpenAiSpeech, OPENAI_PCM_RATE, type OpenAiSpeechOptions } from './synthesis/openai-speech.js';
export {
  ElevenLabsSpeech,
  ELEVENLABS_OUTPUT_FORMATS,
  type ElevenLabsOutputFormat,
  type ElevenLabsSpeechOptions,
} from './synthesis/elevenlabs-speech.js';
export { CachedStreamingSpeech, type CachedStreamingOptions } from './synthesis/cached-stream.js';
export { splitSentences, MAX_SENTENCE } from './synthesis/sentences.js';
export { synthesisCancelled } from './synthesis/cancelled.js';
