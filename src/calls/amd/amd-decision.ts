/**
 * What the detector decides about the far end of an answered call.
 * - `human`: a person answered (short speech, then they wait).
 * - `machine`: a recorded greeting is playing; a `machine-ready` decision follows.
 * - `machine-ready`: the beep was heard or the greeting ended: a message left now is recorded.
 * - `fax`: a fax machine's calling (CNG) or answer (CED) tone.
 * - `silence`: nothing was said for the initial-silence time.
 * - `uncertain`: no rule decided within the total analysis time.
 */
export type AmdOutcome = 'human' | 'machine' | 'machine-ready' | 'fax' | 'silence' | 'uncertain';

/** The rule that made a decision. */
export type AmdReason =
  | 'after-greeting-silence'
  | 'long-greeting'
  | 'max-words'
  | 'long-word'
  | 'sit-tone'
  | 'beep'
  | 'greeting-ended'
  | 'max-wait'
  | 'cng-tone'
  | 'ced-tone'
  | 'initial-silence'
  | 'total-time'
  /** The greeting classifier heard a machine phrase (or the LLM said machine) after a `human` rule. */
  | 'transcript'
  /** The greeting classifier heard a call-screening assistant: not a person, so `machine`. */
  | 'call-screening';

/** A beep: a narrow, steady tone in the beep band. */
export interface AmdBeep {
  hz: number;
  /** When it started (ms since the answer). */
  atMs: number;
  durationMs: number;
}

/** What the detector had heard when it decided. Times are ms since the answer (frames seen × 20). */
export interface AmdEvidence {
  /** From the answer to the first word (all the time so far when no one spoke). */
  initialSilenceMs: number;
  /** Voiced time from the first word on. */
  speechMs: number;
  /** From the first word's start to the end of the last voiced frame (0 before any word). */
  greetingMs: number;
  /** Speech bursts at least min_word_ms long. */
  words: number;
  /** Silences of at least between_words_silence_ms between two words. */
  pauses: number;
  longestWordMs: number;
  beep: AmdBeep | null;
  faxTone: 'cng' | 'ced' | null;
  /** When the decision was made. */
  decisionMs: number;
  /** With the greeting classifier on, after a `human` rule: what it made of the greeting. */
  classifier?: AmdClassifierEvidence;
}

/** The greeting classifier's part of the evidence. */
export interface AmdClassifierEvidence {
  kind: 'phrases' | 'llm';
  /** What the recogniser heard from the answer to the `human` rule (PII: never logged). */
  transcript: string;
  /** The verdict, or null when it failed (then `error` says why and the heuristic decision stands). */
  verdict: 'human' | 'machine' | 'screening' | null;
  phrase?: string;
  model?: string;
  error?: string;
  /** How long the `human` decision waited for it (ms of audio). */
  waitedMs: number;
}

export interface AmdDecision {
  outcome: AmdOutcome;
  reason: AmdReason;
  evidence: AmdEvidence;
}
