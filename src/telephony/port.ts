/**
 * The telephony port: the only telephony types call flows see. Both backends (embedded, freeswitch)
 * implement all of it. It is shaped by what FreeSWITCH can do with a channel (answer, playback, record,
 * send_dtmf, uuid_bridge, hold music, REFER via the signaling layer), so nothing here is embedded-only.
 *
 * Outcomes are typed values that say what happened on the wire; exceptions are for programming errors
 * and for operations on a leg that has already ended (`LegEndedError`).
 */

import { parsePhoneNumber, phoneExpected } from '../util/phone-number.js';
import { isSipUri } from '../util/sip-uri-rule.js';

/** How DTMF is carried: RFC 4733 telephone-event RTP packets, or SIP INFO (application/dtmf-relay). */
export type DtmfMethod = 'rfc4733' | 'info';

export interface Party {
  /** The full URI from the header, e.g. `sip:+14155550100@trunk.example.com`. */
  uri: string;
  /** The user part (a number for PSTN calls), '' when absent. */
  user: string;
  displayName?: string;
}

export interface CallInfo {
  /** Backend-unique id of this leg. */
  id: string;
  /** SIP Call-ID of the dialog. */
  sipCallId: string;
  direction: 'inbound' | 'outbound';
  from: Party;
  to: Party;
  requestUri: string;
  /** Signaling peer as `ip:port`. */
  remoteAddress: string;
  /** X- and other custom headers from the INVITE, lower-cased names. */
  headers: Record<string, string>;
  /** Name of the trunk this leg belongs to, when one matched. */
  trunk?: string;
  /** Signalling transport of the INVITE (`ws`/`wss`: a browser, RFC 7118), when the backend knows it. */
  transport?: 'udp' | 'tcp' | 'tls' | 'ws' | 'wss';
}

/** 16-bit mono PCM at `sampleRate` (any rate; backends resample to the call's). */
export interface PcmChunk {
  samples: Int16Array;
  sampleRate: number;
}

/**
 * What can be played to a leg. Speech is synthesised to a cached WAV and played as a file. A stream
 * is audio that is still being made (streaming synthesis): a sequence of segments (sentences), each a
 * sequence of PCM chunks. The embedded backend plays chunks as they arrive; FreeSWITCH plays each
 * segment as a file once it is complete, while the next one is still being synthesised.
 */
export type MediaSource =
  | { kind: 'file'; path: string }
  | { kind: 'speech'; text: string; voice?: string; language?: string }
  /** `text`: what the stream says, for logs and test peers; not played. */
  | { kind: 'stream'; segments: AsyncIterable<AsyncIterable<PcmChunk>>; text?: string }
  /** Dual tone or single tone; `on`/`off` cadence in ms repeats for `durationMs`. */
  | { kind: 'tone'; frequencies: number[]; durationMs: number; onMs?: number; offMs?: number }
  | { kind: 'silence'; durationMs: number };

export interface PlayOptions {
  /** Stop playing when the caller presses a key (the key is still reported as a dtmf event). */
  interruptOnDtmf?: boolean;
  /** Repeat until stopped (hold music). */
  loop?: boolean;
  signal?: AbortSignal;
  /**
   * Called once, when the first audio of this play is sent to the far end (a stream's first real
   * audio, not the silence sent while it waits). Runs on the media thread's turn: record a time, no more.
   */
  onStarted?: () => void;
}

/**
 * How a play ended. `durationMs` is the audio the far end was sent: what it heard, where a barge-in cut it.
 */
export type PlayOutcome =
  | { status: 'completed'; durationMs: number }
  | { status: 'interrupted'; durationMs: number; digit?: string }
  | { status: 'hangup'; durationMs: number };

/**
 * A running copy of what the far end says, as 20 ms frames of 16-bit mono PCM at `sampleRate` (8000
 * on G.711 calls) (never what is played to it). Frames are the listener's
 * to keep. `onFrame` runs on the thread that paces media on the embedded backend: it must only copy or
 * queue the frame. `stopped` resolves once no more frames come (stop(), the leg ended, or the
 * backend's stream failed, with the reason).
 */
export interface AudioTap {
  readonly sampleRate: number;
  stop(): void;
  readonly stopped: Promise<{ reason: 'stopped' | 'hangup' | 'error'; error?: string }>;
}

export interface RecordOptions {
  /** Absolute path of the WAV file to write. */
  path: string;
  /** Hard limit. */
  maxDurationMs: number;
  /** End after this much continuous silence (0 = never). */
  silenceTimeoutMs?: number;
  /** Digits that end the recording (e.g. '#'); true = any digit. */
  endOnDtmf?: string | boolean;
  /** Play a beep to the caller before recording. */
  beep?: boolean;
  signal?: AbortSignal;
}

export interface RecordOutcome {
  reason: 'max-duration' | 'silence' | 'dtmf' | 'hangup' | 'stopped';
  path: string;
  durationMs: number;
  digit?: string;
}

/** A whole-call recording: both directions of the leg, from when it starts until it stops or the leg ends. */
export interface CallRecordingOptions {
  /** Absolute path of the two-channel WAV to write (8 kHz, 16-bit, stereo). */
  path: string;
}

/**
 * How a whole-call recording ended. Channel 1 (left) is what the far end said, channel 2 (right)
 * everything sent to it (speech, hold audio, a bridged party). Plain data, so it can cross threads.
 */
export interface CallRecordingResult {
  path: string;
  /** Length of the file, paused spans included (they are silence in both channels). */
  durationMs: number;
  /** How much of it was paused. */
  pausedMs: number;
  channels: 2;
  sampleRate: number;
  /** `hangup` when the leg ended first, `stopped` when stop() ended it. */
  reason: 'stopped' | 'hangup';
}

/**
 * A running whole-call recording. `pause()` keeps time running but writes silence in both channels
 * (card numbers are never stored); `resume()` records again. `stop()` (or the leg's end) finishes the
 * file; it resolves once the file is complete on disk, with the same result every time it is called.
 */
export interface CallRecording {
  pause(): void;
  resume(): void;
  stop(): Promise<CallRecordingResult>;
}

export interface SendDtmfOptions {
  method?: DtmfMethod;
  /** Tone length per digit (default 100 ms). A `w` in the digits waits 500 ms, `W` waits 1 s. */
  durationMs?: number;
}

export interface ReferOptions {
  /** Referred-By header value; defaults to the leg's local URI. */
  referredBy?: string;
  /** How long to wait for a final NOTIFY after the REFER is accepted (default 30 s). */
  notifyTimeoutMs?: number;
  headers?: Record<string, string>;
}

/**
 * A REFER's result (RFC 3515): `completed` when a NOTIFY carries a 2xx sipfrag; `failed` when the REFER
 * itself is rejected (`stage: 'refer'`) or a NOTIFY reports a final non-2xx sipfrag (`stage: 'notify'`);
 * `timeout` when the REFER got no answer (a 408 counts as none) or no final NOTIFY arrived in time;
 * `refused` when the leg's trunk has `allow_refer: false`, so no REFER was sent at all. Both backends
 * decide it with src/telephony/sip/refer-outcome.ts and src/telephony/sip/refer-permission.ts.
 */
export type ReferOutcome =
  | { outcome: 'completed'; status: number }
  | { outcome: 'failed'; stage: 'refer' | 'notify'; status: number; reason?: string }
  | { outcome: 'timeout'; stage: 'refer' | 'notify'; lastStatus?: number }
  | { outcome: 'refused'; reason: 'trunk-disallows-refer'; trunk: string };

export type HangupCause =
  'normal' | 'busy' | 'no-answer' | 'rejected' | 'transferred' | 'media-timeout' | 'error' | 'shutdown';

export interface HangupEvent {
  by: 'local' | 'remote';
  cause: HangupCause;
  /** SIP status for failures, when one was on the wire. */
  status?: number;
}

export interface DtmfEvent {
  digit: string;
  method: DtmfMethod;
  durationMs?: number;
}

export interface CallLegEvents {
  dtmf: DtmfEvent;
  hangup: HangupEvent;
  /** A NOTIFY sipfrag status while a REFER is in progress (100, 180, 200, 603 …). */
  'refer-progress': { status: number };
  /** The remote side put the call on hold / took it off hold (re-INVITE with sendonly / sendrecv). */
  'remote-hold': { held: boolean };
}

export type Listener<T> = (event: T) => void;

export interface CallLeg {
  readonly info: CallInfo;
  /** False once the leg has ended. */
  readonly active: boolean;
  /** Resolves once with how the leg ended. */
  readonly ended: Promise<HangupEvent>;

  play(source: MediaSource, options?: PlayOptions): Promise<PlayOutcome>;
  /** Stops whatever is playing now (the play promise resolves `interrupted`). */
  stopPlayback(): void;
  /**
   * Starts copying the far end's audio to `onFrame` (speech recognition, voice activity). One tap per
   * leg at a time: a second listen stops the first. Rejects when the backend cannot stream audio.
   */
  listen(onFrame: (frame: Int16Array) => void): Promise<AudioTap>;
  record(options: RecordOptions): Promise<RecordOutcome>;
  /**
   * Starts recording the whole call in two channels (far end left, what we send right). One per leg:
   * a second call stops the first. Resolves once recording has begun.
   */
  recordCall(options: CallRecordingOptions): Promise<CallRecording>;
  sendDtmf(digits: string, options?: SendDtmfOptions): Promise<void>;
  /** In-dialog REFER with NOTIFY tracking (cold transfer). The leg stays up; hang it up after `completed`. */
  refer(target: string, options?: ReferOptions): Promise<ReferOutcome>;
  /** Connect this leg's media to another leg's, both ways. Playback on either stops. */
  bridge(other: CallLeg): Promise<void>;
  unbridge(): Promise<void>;
  /** The far end hears hold audio (looped) until `unhold`; what it says is not passed on. */
  hold(music?: MediaSource): Promise<void>;
  unhold(): Promise<void>;
  hangup(cause?: HangupCause): Promise<void>;

  on<K extends keyof CallLegEvents>(event: K, listener: Listener<CallLegEvents[K]>): void;
  off<K extends keyof CallLegEvents>(event: K, listener: Listener<CallLegEvents[K]>): void;
}

export interface InboundCall {
  readonly info: CallInfo;
  /** Send 180 Ringing (idempotent). */
  ring(): Promise<void>;
  /** Refuse the call with a final status (486, 404, 603 …). */
  reject(status: number, reason?: string): Promise<void>;
  /** Answer with 200 OK; resolves when the ACK arrives or the answer is established. */
  answer(): Promise<CallLeg>;
  /** Resolves if the caller gives up (CANCEL) before the call is answered. */
  readonly cancelled: Promise<void>;
}

export interface DialRequest {
  /** E.164 number (sent through a trunk) or a SIP URI (dialled directly). */
  target: string;
  /** Trunk name for E.164 targets; defaults to the first configured trunk. */
  trunk?: string;
  /** Caller id (user part of From). */
  callerId?: string;
  callerName?: string;
  /** Give up after this long without an answer (CANCEL sent). Default 30 s. */
  ringTimeoutMs?: number;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export type DialOutcome =
  /** `answeredAt`: when the callee's 2xx arrived (the call's answered_at), before media was set up. */
  | { outcome: 'answered'; leg: CallLeg; answeredAt: Date }
  | { outcome: 'busy'; status: number }
  | { outcome: 'no-answer'; status?: number }
  | { outcome: 'rejected'; status: number; reason?: string }
  | { outcome: 'timeout' }
  | { outcome: 'cancelled' }
  | { outcome: 'failed'; error: string };

export interface TelephonyStats {
  activeCalls: number;
  activeDialogs: number;
  [key: string]: number;
}

export interface Readiness {
  ready: boolean;
  detail?: string;
}

/** Why a new call is refused before anything is sent for it (admission control, RFC 6357). */
export type AdmissionRefusalReason = 'concurrency' | 'rate' | 'overload' | 'rtp-ports' | 'draining';

export interface AdmissionRefusal {
  reason: AdmissionRefusalReason;
  /** Seconds for the Retry-After header of the 503 (RFC 3261 §21.5.4, §20.33). */
  retryAfterS: number;
  /** The setting that refused, e.g. `admission.max_concurrent_calls` or `sip.trunks[carrier].max_calls_per_second`. */
  limit: string;
  message: string;
}

export type AdmissionDecision =
  | { admitted: true; /** Frees the call's place; idempotent. */ release(): void }
  | { admitted: false; refusal: AdmissionRefusal };

/**
 * What a backend asks when a new INVITE arrives, before it sends anything (not even 100 Trying), and
 * when an OPTIONS probe arrives. The call layer's AdmissionControl implements it.
 */
export interface AdmissionGate {
  admit(call: { direction: 'inbound' | 'outbound'; trunk?: string }): AdmissionDecision;
  /** Undefined while new calls would be taken; the refusal an OPTIONS probe reports while full or draining. */
  probe(): AdmissionRefusal | undefined;
  /** Records a refusal decided by the backend itself (no RTP port left) and returns it. */
  refuse(reason: AdmissionRefusalReason, message: string): AdmissionRefusal;
}

export interface Telephony {
  readonly name: 'embedded' | 'freeswitch';
  /**
   * Installs the admission gate consulted for each new INVITE and OPTIONS (before `start`). Optional
   * so test doubles need not implement it; both backends do.
   */
  setAdmissionGate?(gate: AdmissionGate): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** One handler; it owns the call (ring, reject or answer). */
  onInbound(handler: (call: InboundCall) => void | Promise<void>): void;
  dial(request: DialRequest): Promise<DialOutcome>;
  stats(): TelephonyStats;
  readiness(): Readiness;
}

/** Thrown by operations on a leg that has already ended. */
export class LegEndedError extends Error {
  constructor(
    readonly legId: string,
    operation: string,
  ) {
    super(`call leg ${legId} has ended; cannot ${operation}`);
    this.name = 'LegEndedError';
  }
}

/** Normalises a dial target: `+E164` or `sip:`/`sips:` URI; anything else is refused with what is accepted. */
export function classifyTarget(
  target: string,
): { kind: 'e164'; number: string } | { kind: 'sip'; uri: string } {
  const t = target.trim();
  const phone = t.startsWith('+') ? parsePhoneNumber(t) : undefined;
  if (phone?.ok) return { kind: 'e164', number: phone.e164 };
  if (isSipUri(t)) return { kind: 'sip', uri: t };
  throw new Error(
    `target: got ${JSON.stringify(target)}, expected a phone number (${phoneExpected()}) or a SIP URI (sip:user@host)`,
  );
}
