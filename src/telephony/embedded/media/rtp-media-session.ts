import type { Socket } from 'node:dgram';
import { randomInt } from 'node:crypto';
import type { Logger } from '../../../logging/logger.js';
import { CallwrightError } from '../../../errors.js';
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
import type { SpeechSynthesizer } from '../../../speech/speech-synthesizer.js';
import { MediaEventListeners, type MediaSession, type MediaSessionEvents } from './media-session.js';
import type { ClockParticipant, MediaClock } from './media-clock.js';
import { FRAME_MS } from './media-clock.js';
import type { AudioFileCache } from './audio-file-cache.js';
import { FRAME_SAMPLES, LoopSource, type AudioSource } from './audio-source.js';
import { openSource } from './open-source.js';
import { StreamSource } from './stream-source.js';
import { RtpEndpoint } from './rtp-endpoint.js';
import { TelephoneEventReceiver, type ReceivedDigit } from './telephone-event.js';
import { parseDtmfDigits } from '../../sip/dtmf-digits.js';
import { DtmfSender } from './dtmf-sender.js';
import { Recorder, type RecordEnd } from './recorder.js';
import { CallAudioRecorder } from './call-audio-recorder.js';
import { SdpState } from './sdp-state.js';
import type { NegotiatedAudio } from './sdp-negotiation.js';
import type { Direction } from './sdp-types.js';

/** What every session of one engine shares. */
export interface SessionContext {
  clock: MediaClock;
  files: AudioFileCache;
  speech?: SpeechSynthesizer;
  /** A fresh (looping) source of the configured hold audio. */
  holdMusic(): AudioSource;
  advertisedAddress: string;
  timeoutMs: number;
  logger?: Logger;
  released(session: RtpMediaSession): void;
}

interface Playback {
  source: AudioSource;
  frames: number;
  /** Told once, at the first frame of real audio (PlayOptions.onStarted). */
  onStarted: (() => void) | undefined;
  interruptOnDtmf: boolean;
  resolve: (outcome: PlayOutcome) => void;
  detach: () => void;
}

/**
 * The far side of a bridge to a session on another media worker thread: frames go out through
 * `forward` (batched to that worker) and come back into a small queue that `takeFrame` reads.
 */
export interface RemoteBridge {
  /** What we received this frame that the peer should hear (copied; only called with audio). */
  forward(frame: Int16Array): void;
  /** The peer's next frame for us; false when none is queued (silence this frame). */
  takeFrame(out: Int16Array): boolean;
}

const BEEP: MediaSource = { kind: 'tone', frequencies: [1000], durationMs: 250 };

/**
 * The embedded backend's media for one call leg: an RTP endpoint driven by the shared media clock.
 * Each tick (pull, then push) it takes in one received frame (recording, bridge forwarding, timeouts)
 * and sends one frame chosen by priority: an RFC 4733 digit, then playback, then hold audio, then the
 * bridged peer's audio, else comfort silence. Silence is sent rather than nothing so NAT bindings and
 * peers' jitter buffers stay alive while nothing plays.
 */
export class RtpMediaSession implements MediaSession, ClockParticipant {
  private readonly rtp: RtpEndpoint;
  private readonly sdp: SdpState;
  private readonly rxFrame = new Int16Array(FRAME_SAMPLES);
  private rxHasAudio = false;
  private readonly txFrame = new Int16Array(FRAME_SAMPLES);
  private readonly dtmfOut = new DtmfSender();
  private readonly dtmfIn: TelephoneEventReceiver;
  private readonly listeners = new MediaEventListeners(() => this.ctx.logger);
  private playback: Playback | null = null;
  private playToken = 0;
  private holdSource: AudioSource | null = null;
  private holdToken = 0;
  private peer: RtpMediaSession | null = null;
  private remote: RemoteBridge | null = null;
  private recorder: Recorder | null = null;
  private callRecorder: CallAudioRecorder | null = null;
  /** Whether the last push sent audio from txFrame (false: silence or a DTMF event went out). */
  private txAudio = false;
  private tap: { onFrame: (frame: Int16Array) => void; end: (reason: 'stopped' | 'hangup') => void } | null =
    null;
  private timedOut = false;
  private closed = false;

  constructor(
    socket: Socket,
    readonly localPort: number,
    private readonly ctx: SessionContext,
  ) {
    this.dtmfIn = new TelephoneEventReceiver((d) => this.onRemoteDigit(d));
    this.rtp = new RtpEndpoint(socket, this.dtmfIn, ctx.clock);
    this.sdp = new SdpState(ctx.advertisedAddress, localPort, randomInt(1, 2 ** 31).toString());
    socket.on('error', (err) => ctx.logger?.warn({ err, port: localPort }, 'RTP socket error'));
    ctx.clock.add(this);
  }

  get remoteHeld(): boolean {
    return this.rtp.negotiated?.remoteHold ?? false;
  }

  /** Counters for tests and stats. */
  get counters(): { sent: number; received: number; late: number } {
    return { sent: this.rtp.packetsSent, received: this.rtp.packetsReceived, late: this.rtp.playout.late };
  }

  createOffer(): string {
    return this.sdp.createOffer(this.localIntent());
  }

  applyAnswer(remoteSdp: string): void {
    const { negotiated, direction } = this.sdp.applyAnswer(remoteSdp);
    this.applyNegotiated(negotiated, direction);
  }

  answerOffer(remoteSdp: string): string {
    const { negotiated, direction, sdp } = this.sdp.answerOffer(remoteSdp, this.localIntent());
    this.applyNegotiated(negotiated, direction);
    return sdp;
  }

  /** The outcome of an offer/answer made elsewhere (a media worker's session: SDP stays on the main thread). */
  applyNegotiated(negotiated: NegotiatedAudio, direction: Direction): void {
    this.rtp.apply(negotiated, direction);
    this.timedOut = false;
  }

  /** RFC 6337 §5.3: while we play hold audio we offer sendonly. */
  private localIntent(): 'sendrecv' | 'sendonly' {
    return this.holdSource ? 'sendonly' : 'sendrecv';
  }

  // ---- clock ---------------------------------------------------------------------------------

  pull(tick: number): void {
    if (this.closed) return;
    this.rxHasAudio = this.rtp.playout.read(this.rxFrame);
    if (this.recorder) this.recorder.frame(this.rxFrame);
    // A copy per frame: the listener queues it for another thread and keeps it.
    if (this.tap) this.tap.onFrame(this.rxFrame.slice());
    if (this.remote && this.rxHasAudio && !this.holdSource) this.remote.forward(this.rxFrame);
    if (this.dtmfIn.open) this.dtmfIn.poll(tick * FRAME_MS);
    const rtp = this.rtp;
    if (
      this.ctx.timeoutMs > 0 &&
      !this.timedOut &&
      rtp.receiveExpected &&
      !this.remoteHeld &&
      (tick - rtp.lastReceiveTick) * FRAME_MS >= this.ctx.timeoutMs
    ) {
      this.timedOut = true;
      this.emit('timeout', {});
    }
  }

  push(tick: number): boolean {
    this.txAudio = false;
    const sent = this.pushFrame(tick);
    // Every tick, sending or not (hold, inactive), so the recording keeps the call's timeline.
    this.callRecorder?.frame(this.rxFrame, this.txAudio ? this.txFrame : null);
    return sent;
  }

  private pushFrame(tick: number): boolean {
    const rtp = this.rtp;
    if (this.closed || !rtp.sendEnabled) return false;
    if (this.dtmfOut.active && this.dtmfOut.step(rtp, rtp.timestampAt(tick))) return true;
    const out = this.txFrame;
    let audio = false;
    const p = this.playback;
    if (p) {
      audio = p.source.read(out);
      if (audio) {
        p.frames++;
        // A stream sends silence while it waits for the synthesiser: started means real audio.
        if (p.onStarted && (!(p.source instanceof StreamSource) || p.source.sentSamples > 0)) {
          const started = p.onStarted;
          p.onStarted = undefined;
          started();
        }
      } else this.finishPlayback('completed');
    }
    if (!audio && this.holdSource) audio = this.holdSource.read(out);
    const peer = this.peer;
    if (!audio && peer && peer.rxHasAudio && !peer.holdSource) {
      out.set(peer.rxFrame);
      audio = true;
    }
    if (!audio && this.remote) audio = this.remote.takeFrame(out);
    rtp.sendAudio(audio ? out : null, tick);
    this.txAudio = audio;
    return true;
  }

  // ---- playback ------------------------------------------------------------------------------

  async play(source: MediaSource, options: PlayOptions = {}): Promise<PlayOutcome> {
    if (this.closed) return { status: 'hangup', durationMs: 0 };
    this.finishPlayback('interrupted');
    const token = ++this.playToken;
    if (options.signal?.aborted) return { status: 'interrupted', durationMs: 0 };
    let audio = await openSource(source, this.ctx);
    if (this.closed) return { status: 'hangup', durationMs: 0 };
    if (token !== this.playToken || options.signal?.aborted) return { status: 'interrupted', durationMs: 0 };
    if (options.loop) {
      if (audio instanceof StreamSource) {
        audio.stop();
        throw new CallwrightError('VALIDATION', 'play: a stream cannot loop', [
          { field: 'loop', value: true, expected: 'false for a stream source' },
        ]);
      }
      audio = new LoopSource(audio);
    }
    return new Promise<PlayOutcome>((resolve) => {
      const signal = options.signal;
      const onAbort = (): void => {
        if (this.playback === playback) this.finishPlayback('interrupted');
      };
      const playback: Playback = {
        source: audio,
        frames: 0,
        onStarted: options.onStarted,
        interruptOnDtmf: options.interruptOnDtmf ?? false,
        resolve,
        detach: () => signal?.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.playback = playback;
    });
  }

  stopPlayback(): void {
    this.playToken++;
    this.finishPlayback('interrupted');
  }

  private finishPlayback(status: PlayOutcome['status'], digit?: string): void {
    const p = this.playback;
    if (!p) return;
    this.playback = null;
    p.detach();
    // A stream counts the audio it sent (gaps while the synthesiser was behind are not heard speech).
    let durationMs = p.frames * FRAME_MS;
    if (p.source instanceof StreamSource) {
      p.source.stop();
      durationMs = Math.round(p.source.sentSamples / 8);
    }
    p.resolve(
      status === 'interrupted' && digit !== undefined
        ? { status, durationMs, digit }
        : { status, durationMs },
    );
  }

  // ---- listening -----------------------------------------------------------------------------

  listen(onFrame: (frame: Int16Array) => void): AudioTap {
    this.tap?.end('stopped');
    let resolve!: (e: { reason: 'stopped' | 'hangup' }) => void;
    const stopped = new Promise<{ reason: 'stopped' | 'hangup' }>((r) => (resolve = r));
    const tap = {
      onFrame,
      end: (reason: 'stopped' | 'hangup') => {
        if (this.tap === tap) this.tap = null;
        resolve({ reason });
      },
    };
    if (this.closed) resolve({ reason: 'hangup' });
    else this.tap = tap;
    return { sampleRate: 8000, stop: () => tap.end('stopped'), stopped };
  }

  // ---- recording -----------------------------------------------------------------------------

  async record(options: RecordOptions): Promise<RecordOutcome> {
    if (!Number.isFinite(options.maxDurationMs) || options.maxDurationMs <= 0) {
      throw new CallwrightError('VALIDATION', 'record: maxDurationMs must be a positive number of ms', [
        { field: 'maxDurationMs', value: options.maxDurationMs, expected: 'a number > 0' },
      ]);
    }
    this.recorder?.end('stopped');
    if (options.beep && !this.closed) await this.play(BEEP);
    return new Promise<RecordOutcome>((resolve, reject) => {
      const signal = options.signal;
      const onAbort = (): void => recorder.end('stopped');
      const recorder = new Recorder(options, (reason: RecordEnd, digit?: string) => {
        if (this.recorder === recorder) this.recorder = null;
        signal?.removeEventListener('abort', onAbort);
        recorder.save(reason, digit).then(resolve, reject);
      });
      this.recorder = recorder;
      if (this.closed) recorder.end('hangup');
      else if (signal?.aborted) recorder.end('stopped');
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  // ---- whole-call recording -----------------------------------------------------------------

  recordCall(options: CallRecordingOptions): CallRecording {
    void this.callRecorder?.finish('stopped').catch(() => undefined);
    const recorder = new CallAudioRecorder(options.path, () => {
      if (this.callRecorder === recorder) this.callRecorder = null;
    });
    if (this.closed) void recorder.finish('hangup').catch(() => undefined);
    else this.callRecorder = recorder;
    return recorder;
  }

  // ---- DTMF ----------------------------------------------------------------------------------

  async sendDtmf(digits: string, durationMs = 100): Promise<void> {
    // One reading of digit strings for both backends (src/telephony/sip/dtmf-digits.ts).
    const steps = parseDtmfDigits(digits);
    if (this.closed) return;
    if (this.rtp.negotiated?.dtmfPayloadType == null) {
      throw new CallwrightError(
        'PRECONDITION',
        'sendDtmf: the peer did not negotiate telephone-event (RFC 4733); send the digits by SIP INFO',
      );
    }
    if (!this.rtp.sendEnabled) {
      throw new CallwrightError(
        'PRECONDITION',
        'sendDtmf: the media stream is not sending (on hold or inactive)',
      );
    }
    await this.dtmfOut.enqueue(steps, Math.max(40, Math.min(durationMs, 5000)));
  }

  notifyDtmf(digit: string): void {
    this.onDigit(digit);
  }

  private onRemoteDigit(d: ReceivedDigit): void {
    this.emit('dtmf', d);
    this.onDigit(d.digit);
  }

  private onDigit(digit: string): void {
    if (this.playback?.interruptOnDtmf) {
      this.playToken++;
      this.finishPlayback('interrupted', digit);
    }
    this.recorder?.dtmf(digit);
  }

  // ---- bridge and hold -----------------------------------------------------------------------

  bridge(other: MediaSession): void {
    if (!(other instanceof RtpMediaSession) || other === this) {
      throw new CallwrightError(
        'PRECONDITION',
        'bridge: the other session must be another session of the same media engine',
      );
    }
    this.unbridge();
    other.unbridge();
    this.stopPlayback();
    other.stopPlayback();
    this.peer = other;
    other.peer = this;
  }

  /** Bridges to a session on another media worker (see RemoteBridge); `bridge` semantics otherwise. */
  bridgeRemote(remote: RemoteBridge): void {
    this.unbridge();
    this.stopPlayback();
    this.remote = remote;
  }

  unbridge(): void {
    this.remote = null;
    const peer = this.peer;
    if (!peer) return;
    this.peer = null;
    if (peer.peer === this) peer.peer = null;
  }

  hold(music?: MediaSource): void {
    if (this.closed) return;
    this.stopPlayback();
    const token = ++this.holdToken;
    this.holdSource = this.ctx.holdMusic();
    if (!music) return;
    openSource(music, this.ctx).then(
      (source) => {
        if (this.holdToken === token && this.holdSource) this.holdSource = new LoopSource(source);
      },
      (err: unknown) => this.ctx.logger?.warn({ err }, 'hold music could not be opened; playing the default'),
    );
  }

  unhold(): void {
    this.holdToken++;
    this.holdSource = null;
  }

  // ---- events and lifetime -------------------------------------------------------------------

  on<K extends keyof MediaSessionEvents>(event: K, listener: (e: MediaSessionEvents[K]) => void): void {
    this.listeners.on(event, listener);
  }

  off<K extends keyof MediaSessionEvents>(event: K, listener: (e: MediaSessionEvents[K]) => void): void {
    this.listeners.off(event, listener);
  }

  private emit<K extends keyof MediaSessionEvents>(event: K, payload: MediaSessionEvents[K]): void {
    this.listeners.emit(event, payload);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.ctx.clock.remove(this);
    this.unbridge();
    this.playToken++;
    this.finishPlayback('hangup');
    this.recorder?.end('hangup');
    void this.callRecorder?.finish('hangup').catch(() => undefined);
    this.tap?.end('hangup');
    this.dtmfOut.flush();
    this.rtp.close();
    this.listeners.clear();
    this.ctx.released(this);
  }
}
