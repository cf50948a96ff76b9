/**
 * The seam between the embedded SIP layer (signaling, dialogs) and the embedded media layer
 * (SDP offer/answer, RTP, codecs, playback, recording, RFC 4733 DTMF, bridging).
 * The SIP layer owns one MediaSession per dialog and never touches RTP; the media layer never sees SIP.
 */
import type {
  AudioTap,
  CallRecording,
  CallRecordingOptions,
  MediaSource,
  PlayOptions,
  PlayOutcome,
  RecordOptions,
  RecordOutcome,
} from '../../port.js';
import type { Logger } from '../../../logging/logger.js';

/** Raised when an offer has no codec in common with us: the SIP layer answers 488 Not Acceptable Here. */
export class MediaNegotiationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MediaNegotiationError';
  }
}

export interface MediaSessionEvents {
  /** A digit received as RFC 4733 telephone-event (reported once per event, at its end or first packet). */
  dtmf: { digit: string; durationMs: number };
  /** No RTP received for the configured media timeout while the session was not on hold. */
  timeout: Record<string, never>;
  /** The session's media stopped for good outside the call's control (its media worker thread died). */
  failed: { reason: string };
}

/**
 * The listeners of one session's events (in-process and proxy sessions alike): a listener that
 * throws is logged and the others still run.
 */
export class MediaEventListeners {
  private readonly sets: { [K in keyof MediaSessionEvents]: Set<(e: MediaSessionEvents[K]) => void> } = {
    dtmf: new Set(),
    timeout: new Set(),
    failed: new Set(),
  };

  constructor(private readonly logger: () => Logger | undefined) {}

  on<K extends keyof MediaSessionEvents>(event: K, listener: (e: MediaSessionEvents[K]) => void): void {
    this.sets[event].add(listener);
  }

  off<K extends keyof MediaSessionEvents>(event: K, listener: (e: MediaSessionEvents[K]) => void): void {
    this.sets[event].delete(listener);
  }

  emit<K extends keyof MediaSessionEvents>(event: K, payload: MediaSessionEvents[K]): void {
    for (const l of this.sets[event]) {
      try {
        l(payload);
      } catch (err) {
        this.logger()?.error({ err, event }, 'media event listener threw');
      }
    }
  }

  clear(): void {
    this.sets.dtmf.clear();
    this.sets.timeout.clear();
    this.sets.failed.clear();
  }
}

export interface MediaSession {
  /** Local RTP port (even); RTCP is not used. */
  readonly localPort: number;

  /** Builds our SDP offer (PCMU, PCMA, telephone-event), for outbound calls and re-offers. */
  createOffer(): string;
  /** Applies the answer to our offer. Throws MediaNegotiationError when unusable. */
  applyAnswer(remoteSdp: string): void;
  /**
   * Answers a remote offer (initial INVITE or re-INVITE). Honors direction: an offer with `sendonly`
   * is answered `recvonly`, `inactive` with `inactive` (RFC 3264 §6.1); a re-offer may change the remote
   * address (re-INVITE after NAT change). Throws MediaNegotiationError when no codec is common.
   */
  answerOffer(remoteSdp: string): string;
  /** True while the remote side has put us on hold (its last offer was sendonly/inactive). */
  readonly remoteHeld: boolean;

  play(source: MediaSource, options?: PlayOptions): Promise<PlayOutcome>;
  stopPlayback(): void;
  /** Copies each received frame (8 kHz, decoded; silence where nothing arrived) to `onFrame`. */
  listen(onFrame: (frame: Int16Array) => void): AudioTap;
  record(options: RecordOptions): Promise<RecordOutcome>;
  /**
   * Records the whole call into a two-channel WAV written as it goes: left what is received, right
   * what is sent (playback, hold audio, the bridged peer; silence otherwise). One at a time: a second
   * call stops the first. Arguments and results are plain data, the handle's methods plain calls, so
   * a session on another thread can forward them. The recording ends by itself when the session closes.
   */
  recordCall(options: CallRecordingOptions): CallRecording;
  /** Sends digits as RFC 4733 events; `w`/`W` pause 500 ms / 1 s. */
  sendDtmf(digits: string, durationMs?: number): Promise<void>;
  /** Forwards decoded audio both ways between the two sessions (transcoding PCMU↔PCMA as needed). */
  bridge(other: MediaSession): void;
  unbridge(): void;
  hold(music?: MediaSource): void;
  unhold(): void;
  /** Lets the session know a DTMF digit came by SIP INFO, so interruptible playback and records end alike. */
  notifyDtmf(digit: string): void;

  on<K extends keyof MediaSessionEvents>(event: K, listener: (e: MediaSessionEvents[K]) => void): void;
  off<K extends keyof MediaSessionEvents>(event: K, listener: (e: MediaSessionEvents[K]) => void): void;
  /** Releases the socket and every timer. Idempotent. */
  close(): void;
}

export interface MediaEngineStats {
  sessions: number;
  /** Frame lateness of the shared media clock in ms. */
  latenessP50Ms: number;
  latenessP99Ms: number;
}

export interface MediaEngine {
  /** Allocates an RTP socket on the configured address within the configured port range. */
  createSession(): Promise<MediaSession>;
  stats(): MediaEngineStats;
  /** Closes every session and stops the shared clock. */
  close(): Promise<void>;
}
