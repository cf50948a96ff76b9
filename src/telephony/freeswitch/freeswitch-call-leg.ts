import path from 'node:path';
import { CallwrightError } from '../../errors.js';
import type { Logger } from '../../logging/logger.js';
import {
  LegEndedError,
  type CallInfo,
  type CallLeg,
  type CallLegEvents,
  type DtmfMethod,
  type HangupCause,
  type HangupEvent,
  type Listener,
  type MediaSource,
  type AudioTap,
  type CallRecording,
  type CallRecordingOptions,
  type CallRecordingResult,
  type PlayOptions,
  type PlayOutcome,
  type RecordOptions,
  type RecordOutcome,
  type ReferOptions,
  type ReferOutcome,
  type SendDtmfOptions,
} from '../port.js';
import { CallLegEmitter } from '../leg-events.js';
import type { AudioForkServer } from './audio-fork-server.js';
import { ForkTap } from './audio-fork-tap.js';
import type { FsEndpoint, SrfDialog, SrfRequest, SrfResponse } from './drachtio-types.js';
import type { MediaServerHandle } from './media-server-pool.js';
import { DEFAULT_HOLD_TONE, playbackTarget } from './playback-source.js';
import { SegmentCollector } from './stream-segments.js';
import { runRefer } from './refer-transaction.js';
import type { SharedPaths } from './shared-paths.js';
import { dtmfMethodFromSource } from './sip-messages.js';
import { formatDtmfSteps, parseDtmfDigits } from '../sip/dtmf-digits.js';
import { referRefusal, type TrunkReferSetting } from '../sip/refer-permission.js';
import { INFO_DTMF_ACCEPT, INFO_DTMF_CONTENT_TYPE, infoDtmfBody, parseInfoDtmf } from '../sip/info-dtmf.js';
import type { SpeechSynthesizer } from '../../speech/speech-synthesizer.js';
import { delay } from './timeouts.js';
import { waitForCompleteWav } from './recording-file.js';
import { withTimeout } from '../../util/with-timeout.js';
import { hangupReasonHeader } from '../sip/hangup-reason.js';

export interface LegDeps {
  paths: SharedPaths;
  speech?: SpeechSynthesizer;
  /** Hold music in FreeSWITCH's view, or '' for the default tone. */
  holdMusic: string;
  operationTimeoutMs: number;
  /** Default wait for a final NOTIFY after a REFER is accepted (sip.refer_notify_timeout_ms). */
  referNotifyTimeoutMs: number;
  /** DTMF method of the trunk this leg uses. */
  dtmfMethod: DtmfMethod;
  /** The trunk this leg uses, whose allow_refer the leg enforces itself. */
  trunk?: TrunkReferSetting;
  logger: Logger;
  /** Where mod_audio_fork streams listened audio, and how to make sure a server has the module. */
  audioFork: {
    server: AudioForkServer;
    ensureModule(server: MediaServerHandle): Promise<void>;
    connectTimeoutMs: number;
  };
  resolveReferTarget(target: string): string;
  /** Another server for a leg whose media server was lost; undefined when none is up. */
  relocate(current: MediaServerHandle): MediaServerHandle | undefined;
  onEnded(leg: FreeswitchCallLeg): void;
}

/** The play in progress; `wake` lets a stream waiting for its next segment see a stop at once. */
type Playing = { interrupted?: { digit?: string }; wake?: () => void };

/** What one play did, before it is read as a PlayOutcome. */
type PlayRun = { durationMs: number; hungUp?: boolean; failed?: boolean };

/** Where stream segments are written, inside the shared folder. */
const STREAM_DIR = 'stream';

/**
 * A call leg on drachtio + FreeSWITCH: the SIP dialog with the far end lives in drachtio-server, the
 * media on a FreeSWITCH endpoint (its own SIP dialog with FreeSWITCH). Media commands go to the
 * endpoint, in-dialog SIP (REFER, INFO, BYE) to the dialog. Hang-up from either side releases both.
 */
export class FreeswitchCallLeg implements CallLeg {
  readonly ended: Promise<HangupEvent>;
  private readonly events: CallLegEmitter;
  private resolveEnded!: (e: HangupEvent) => void;
  private done = false;
  private moving = false;
  private playing: Playing | undefined;
  private bridgedWith: FreeswitchCallLeg | undefined;
  private heldPartner: FreeswitchCallLeg | undefined;
  private holdPlay: Promise<PlayOutcome> | undefined;
  private tap: ForkTap | undefined;
  private listening: Promise<unknown> = Promise.resolve();
  private readonly log: Logger;

  constructor(
    readonly info: CallInfo,
    private ep: FsEndpoint,
    private readonly dialog: SrfDialog,
    public server: MediaServerHandle,
    private readonly deps: LegDeps,
  ) {
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve));
    this.log = deps.logger.child({ legId: info.id });
    this.events = new CallLegEmitter((err, event) =>
      this.log.error({ err: (err as Error).message, event }, 'call leg listener threw'),
    );
    server.active++;
    this.attachEndpoint(ep);
    dialog.on('destroy', () => void this.finish({ by: 'remote', cause: 'normal' }, false));
    dialog.on('info', (req: SrfRequest, res: SrfResponse) => this.onInfo(req, res));
    dialog.on('hold', () => this.events.emit('remote-hold', { held: true }));
    dialog.on('unhold', () => this.events.emit('remote-hold', { held: false }));
  }

  get active(): boolean {
    return !this.done;
  }

  on<K extends keyof CallLegEvents>(event: K, listener: Listener<CallLegEvents[K]>): void {
    this.events.on(event, listener);
  }

  off<K extends keyof CallLegEvents>(event: K, listener: Listener<CallLegEvents[K]>): void {
    this.events.off(event, listener);
  }

  async play(source: MediaSource, options: PlayOptions = {}): Promise<PlayOutcome> {
    this.assertActive('play');
    if (source.kind === 'stream') return this.playStream(source, options);
    const target = await playbackTarget(source, this.deps.paths, this.deps.speech);
    return this.runPlayback(target, options);
  }

  /**
   * Starts `uuid_audio_fork` on the channel (mod_audio_fork, loaded first when FreeSWITCH has not) and
   * resolves once FreeSWITCH has connected to the audio-fork server. A second listen stops the first.
   */
  async listen(onFrame: (frame: Int16Array) => void): Promise<AudioTap> {
    this.assertActive('listen');
    // One after another: the bug name is per channel, so a listen starts only once the one before it
    // has started (and is then stopped by it).
    const next = this.listening.then(() => this.startTap(onFrame));
    this.listening = next.catch(() => undefined);
    return next;
  }

  private async startTap(onFrame: (frame: Int16Array) => void): Promise<AudioTap> {
    this.assertActive('listen');
    const previous = this.tap;
    this.tap = undefined;
    // The old fork must be gone on FreeSWITCH before the new one starts.
    if (previous) await previous.close();
    const fork = this.deps.audioFork;
    await fork.ensureModule(this.server);
    this.assertActive('listen');
    const tap = await ForkTap.start({
      ep: this.ep,
      legId: this.info.id,
      server: fork.server,
      onFrame,
      connectTimeoutMs: fork.connectTimeoutMs,
      ended: this.ended,
      isActive: () => !this.done,
      command: (p, what) => this.command(p, what),
      log: this.log,
    });
    this.tap = tap;
    void tap.stopped.then(() => {
      if (this.tap === tap) this.tap = undefined;
    });
    return tap;
  }

  stopPlayback(): void {
    const state = this.playing;
    if (!state || this.done) return;
    state.interrupted ??= {};
    state.wake?.();
    void this.breakMedia();
  }

  async record(options: RecordOptions): Promise<RecordOutcome> {
    this.assertActive('record');
    const remote = this.deps.paths.toRemote(options.path);
    if (options.beep) await this.runPlayback('tone_stream://%(400,0,800)', {});
    const terminators = options.endOnDtmf === true ? 'any' : options.endOnDtmf || 'none';
    await this.command(this.ep.execute('set', `playback_terminators=${terminators}`), 'set terminators');
    const limits: { timeLimitSecs: number; silenceThresh?: number; silenceHits?: number } = {
      timeLimitSecs: Math.max(1, Math.ceil(options.maxDurationMs / 1000)),
    };
    if (options.silenceTimeoutMs) {
      // drachtio-fsmrf passes the set options positionally (`record path limit thresh hits`), so a
      // threshold must accompany the hits; FreeSWITCH counts silence_hits in seconds.
      limits.silenceThresh = 200;
      limits.silenceHits = Math.max(1, Math.ceil(options.silenceTimeoutMs / 1000));
    }
    const started = Date.now();
    const state: Playing = {};
    this.playing = state;
    const onAbort = (): void => this.stopPlayback();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const result = await Promise.race([this.ep.record(remote, limits), this.ended.then(() => undefined)]);
      const durationMs = result
        ? Number(result.recordMilliseconds ?? result.recordMs ?? 0) || Date.now() - started
        : Date.now() - started;
      if (!result || this.done) return { reason: 'hangup', path: options.path, durationMs };
      const terminator = result.terminatorUsed ? String(result.terminatorUsed) : '';
      if (terminator) return { reason: 'dtmf', path: options.path, durationMs, digit: terminator };
      if (state.interrupted) return { reason: 'stopped', path: options.path, durationMs };
      const reachedLimit = durationMs >= options.maxDurationMs - 1000;
      return {
        reason: options.silenceTimeoutMs && !reachedLimit ? 'silence' : 'max-duration',
        path: options.path,
        durationMs,
      };
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
      if (this.playing === state) this.playing = undefined;
      if (!this.done)
        await this.command(this.ep.execute('set', 'playback_terminators=none'), 'reset terminators').catch(
          () => undefined,
        );
    }
  }

  /**
   * `uuid_record` (an API command, so it starts at once even while a playback runs) with
   * RECORD_STEREO: FreeSWITCH writes the channel's read audio (the far end) on the left and its write
   * audio (everything it sends, a bridged leg included) on the right. Pausing masks the media bug
   * (`uuid_record <uuid> mask <path>`): silence is written while time runs on.
   */
  async recordCall(options: CallRecordingOptions): Promise<CallRecording> {
    this.assertActive('record the call');
    const remote = this.deps.paths.toRemote(options.path);
    const uuid = this.ep.uuid;
    await this.command(this.ep.api('uuid_setvar', [uuid, 'RECORD_STEREO', 'true']), 'uuid_setvar');
    await this.command(this.ep.api('uuid_setvar', [uuid, 'record_sample_rate', '8000']), 'uuid_setvar');
    const started = await this.command(this.ep.api('uuid_record', [uuid, 'start', remote]), 'uuid_record');
    const r = started as { getBody?: () => string; body?: unknown } | undefined;
    const reply = typeof r?.getBody === 'function' ? String(r.getBody() ?? '') : String(r?.body ?? '');
    if (reply.startsWith('-ERR')) throw new Error(`uuid_record start refused: ${reply.trim()}`);
    let pausedAt: number | undefined;
    let pausedMs = 0;
    let result: Promise<CallRecordingResult> | undefined;
    const mask = (on: boolean): void => {
      if (result || this.done || (on ? pausedAt !== undefined : pausedAt === undefined)) return;
      if (on) pausedAt = Date.now();
      else {
        pausedMs += Date.now() - (pausedAt ?? Date.now());
        pausedAt = undefined;
      }
      this.command(
        this.ep.api('uuid_record', [uuid, on ? 'mask' : 'unmask', remote]),
        'uuid_record mask',
      ).catch((err: unknown) => this.log.warn({ err: (err as Error).message }, 'recording mask failed'));
    };
    const finish = async (): Promise<CallRecordingResult> => {
      const byHangup = this.done;
      if (!byHangup)
        await this.command(this.ep.api('uuid_record', [uuid, 'stop', remote]), 'uuid_record stop').catch(
          () => undefined,
        );
      else await this.ended;
      if (pausedAt !== undefined) pausedMs += Date.now() - pausedAt;
      // FreeSWITCH finishes the file when the media bug goes (stop, or the channel's hang-up).
      const info = await waitForCompleteWav(options.path, 10_000);
      return {
        path: options.path,
        durationMs: info.durationMs,
        pausedMs: Math.min(pausedMs, info.durationMs),
        channels: 2,
        sampleRate: info.sampleRate,
        reason: byHangup ? 'hangup' : 'stopped',
      };
    };
    return {
      pause: () => mask(true),
      resume: () => mask(false),
      stop: () => (result ??= finish()),
    };
  }

  async sendDtmf(digits: string, options: SendDtmfOptions = {}): Promise<void> {
    this.assertActive('send DTMF');
    const steps = parseDtmfDigits(digits);
    const durationMs = options.durationMs ?? 100;
    const method = options.method ?? this.deps.dtmfMethod;
    if (method === 'rfc4733') {
      // uuid_send_dtmf is an API command, so it goes out at once even while an application
      // (playback, record) runs; `send_dtmf` would queue behind it. It reads w/W pauses itself.
      await this.command(
        this.ep.api('uuid_send_dtmf', [this.ep.uuid, `${formatDtmfSteps(steps)}@${durationMs}`]),
        'uuid_send_dtmf',
      );
      return;
    }
    for (const step of steps) {
      if (step.kind === 'pause') {
        await delay(step.ms);
        continue;
      }
      this.assertActive('send DTMF');
      const res = await this.command(
        this.dialog.request({
          method: 'INFO',
          headers: { 'Content-Type': INFO_DTMF_CONTENT_TYPE },
          body: infoDtmfBody(step.digit, durationMs),
        }),
        'INFO',
      );
      if (Number(res.status) >= 300)
        throw new Error(`INFO for DTMF ${step.digit} was refused with ${res.status}`);
      // Same spacing as the embedded backend: the next digit starts after this one's duration.
      await delay(durationMs);
    }
  }

  async refer(target: string, options: ReferOptions = {}): Promise<ReferOutcome> {
    this.assertActive('refer');
    const refusal = referRefusal(this.deps.trunk);
    if (refusal) return refusal;
    return runRefer({
      dialog: this.dialog,
      referTo: this.deps.resolveReferTarget(target),
      referredBy: options.referredBy ?? this.dialog.local.uri,
      options: { notifyTimeoutMs: this.deps.referNotifyTimeoutMs, ...options },
      referTimeoutMs: 32_000,
      progress: (status) => this.events.emit('refer-progress', { status }),
      ended: this.ended,
    });
  }

  async bridge(other: CallLeg): Promise<void> {
    this.assertActive('bridge');
    if (!(other instanceof FreeswitchCallLeg))
      throw new Error('bridge: the other leg must come from the freeswitch backend');
    if (!other.active) throw new LegEndedError(other.info.id, 'bridge');
    // uuid_bridge joins two channels of one FreeSWITCH; a leg elsewhere moves its media here first.
    if (other.server !== this.server) await other.moveTo(this.server);
    this.stopPlayback();
    other.stopPlayback();
    await this.command(this.ep.bridge(other.ep), 'uuid_bridge');
    this.bridgedWith = other;
    other.bridgedWith = this;
  }

  async unbridge(): Promise<void> {
    const other = this.bridgedWith;
    if (!other || this.done) return;
    this.bridgedWith = undefined;
    other.bridgedWith = undefined;
    await this.command(this.ep.unbridge(), 'unbridge');
  }

  async hold(music?: MediaSource): Promise<void> {
    this.assertActive('hold');
    if (this.holdPlay) return;
    if (this.bridgedWith) {
      this.heldPartner = this.bridgedWith;
      await this.unbridge();
    }
    const target = music
      ? await playbackTarget(music, this.deps.paths, this.deps.speech)
      : this.deps.holdMusic || DEFAULT_HOLD_TONE;
    this.holdPlay = this.runPlayback(target, { loop: true });
  }

  async unhold(): Promise<void> {
    const playing = this.holdPlay;
    if (!playing) return;
    this.stopPlayback();
    // Bounded: a break that reaches FreeSWITCH between two passes can leave the pass unanswered.
    await this.command(playing, 'stop hold audio').catch(() => undefined);
    this.holdPlay = undefined;
    const partner = this.heldPartner;
    this.heldPartner = undefined;
    if (partner?.active && this.active) await this.bridge(partner);
  }

  async hangup(cause: HangupCause = 'normal'): Promise<void> {
    await this.finish({ by: 'local', cause }, true);
  }

  /** Moves this leg's media to another FreeSWITCH with a re-INVITE of the far end (RFC 3261 §14). */
  async moveTo(target: MediaServerHandle): Promise<void> {
    const ms = target.ms;
    if (!ms) throw new Error(`media server ${target.name} is not connected`);
    this.moving = true;
    try {
      const next = await this.command(
        ms.createEndpoint({ remoteSdp: this.dialog.remote.sdp }),
        'createEndpoint',
      );
      await this.command(this.dialog.modify(next.local.sdp), 're-INVITE');
      const old = this.ep;
      old.removeAllListeners('dtmf');
      old.removeAllListeners('destroy');
      this.ep = next;
      this.attachEndpoint(next);
      this.server.active--;
      this.server = target;
      target.active++;
      if (old.connected) void old.destroy().catch(() => undefined);
    } finally {
      this.moving = false;
    }
  }

  private attachEndpoint(ep: FsEndpoint): void {
    ep.on('dtmf', (evt: { dtmf: string; duration?: string; source?: string }) => {
      // FreeSWITCH reports DTMF-Duration in 8 kHz timestamp units.
      const samples = Number(evt.duration);
      const event = {
        digit: String(evt.dtmf),
        method: dtmfMethodFromSource(evt.source),
      } as CallLegEvents['dtmf'];
      if (samples > 0) event.durationMs = Math.round(samples / 8);
      this.events.emit('dtmf', event);
    });
    ep.on('destroy', () => void this.onEndpointLost(ep));
  }

  private async onEndpointLost(ep: FsEndpoint): Promise<void> {
    if (this.done || this.moving || ep !== this.ep) return;
    const other = this.deps.relocate(this.server);
    if (other) {
      this.log.warn({ mediaServer: this.server.name, target: other.name }, 'media server lost; moving leg');
      try {
        await this.moveTo(other);
        return;
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'moving leg failed');
      }
    }
    await this.finish({ by: 'local', cause: 'error' }, true);
  }

  private onInfo(req: SrfRequest, res: SrfResponse): void {
    const parsed = parseInfoDtmf(req.get('Content-Type'), req.body);
    if (!parsed && (req.body ?? '').trim() !== '') {
      // As the embedded backend: a body we cannot read gets 415 with what we accept (RFC 3261 §21.4.13).
      res.send(415, { headers: { Accept: INFO_DTMF_ACCEPT } });
      return;
    }
    res.send(200);
    if (!parsed) return;
    const event: CallLegEvents['dtmf'] = { digit: parsed.digit, method: 'info' };
    if (parsed.durationMs !== undefined) event.durationMs = parsed.durationMs;
    this.events.emit('dtmf', event);
  }

  private runPlayback(target: string, options: PlayOptions): Promise<PlayOutcome> {
    return this.withPlayState(options, async (state) => {
      const started = Date.now();
      // FreeSWITCH starts the file as the command arrives; its first packet follows within a frame.
      options.onStarted?.();
      const op = options.loop ? this.playLoop(target, state) : this.ep.play(target);
      const finished = await Promise.race([op.then(() => true), this.ended.then(() => false)]);
      return { durationMs: Date.now() - started, hungUp: !finished };
    });
  }

  /**
   * Plays a stream source segment by segment: each segment is written as a WAV in the shared folder
   * and played as a file once it is complete, while the next one is collected. A stop (stopPlayback,
   * abort, a digit with interruptOnDtmf) breaks the file playing and ends the collection; a producer
   * that fails ends the play once the segments completed before the failure have played, as
   * `interrupted` (logged), so the caller never hears half a sentence. `durationMs` sums the segments
   * played whole and the time the one broken off played (see playedMs).
   */
  private async playStream(
    source: Extract<MediaSource, { kind: 'stream' }>,
    options: PlayOptions,
  ): Promise<PlayOutcome> {
    if (options.loop) {
      throw new CallwrightError('VALIDATION', 'play: a stream cannot loop', [
        { field: 'loop', value: true, expected: 'false for a stream source' },
      ]);
    }
    const dir = path.join(this.deps.paths.local, STREAM_DIR);
    return this.withPlayState(options, async (state) => {
      const segments = new SegmentCollector(source.segments, dir, this.info.id, this.log);
      let durationMs = 0;
      try {
        for (;;) {
          const stop = new Promise<'stop'>((r) => {
            state.wake = () => r('stop');
            if (state.interrupted) r('stop');
          });
          const next = await Promise.race([segments.next(), stop, this.ended.then(() => 'ended' as const)]);
          if (next === 'ended' || this.done) return { durationMs, hungUp: true };
          if (next === 'stop' || next === undefined || state.interrupted) break;
          const started = Date.now();
          if (durationMs === 0) options.onStarted?.();
          const result = await Promise.race([
            this.ep.play(this.deps.paths.toRemote(next.file)).then((r: unknown) => r ?? {}),
            this.ended.then(() => undefined),
          ]).finally(() => segments.release(next));
          const brokenOff = !result || this.done || !!state.interrupted;
          durationMs += playedMs(result, next.durationMs, brokenOff ? Date.now() - started : undefined);
          if (!result || this.done) return { durationMs, hungUp: true };
          if (state.interrupted) break;
        }
        if (segments.error && !state.interrupted) {
          this.log.warn(
            { err: (segments.error as Error).message ?? String(segments.error), text: source.text },
            'stream source failed; the play ends with what was played',
          );
          return { durationMs, failed: true };
        }
        return { durationMs };
      } finally {
        segments.stop();
      }
    });
  }

  /** Runs one play as `this.playing`: stop, abort and DTMF interruption apply, the outcome is typed. */
  private async withPlayState(
    options: PlayOptions,
    body: (state: Playing) => Promise<PlayRun>,
  ): Promise<PlayOutcome> {
    this.assertActive('play');
    if (this.playing) this.stopPlayback();
    // As on the embedded backend: a play whose signal has already fired does not start.
    if (options.signal?.aborted) return { status: 'interrupted', durationMs: 0 };
    const state: Playing = {};
    this.playing = state;
    const interrupt = (digit?: string): void => {
      state.interrupted = digit === undefined ? {} : { digit };
      state.wake?.();
      void this.breakMedia();
    };
    const onDtmf = (e: CallLegEvents['dtmf']): void => {
      if (!options.interruptOnDtmf || state.interrupted) return;
      interrupt(e.digit);
    };
    const onAbort = (): void => {
      if (!state.interrupted) interrupt();
    };
    this.events.on('dtmf', onDtmf);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const run = await body(state);
      const durationMs = Math.round(run.durationMs);
      if (run.hungUp || this.done) return { status: 'hangup', durationMs };
      if (state.interrupted) {
        const digit = state.interrupted.digit;
        return digit ? { status: 'interrupted', durationMs, digit } : { status: 'interrupted', durationMs };
      }
      if (run.failed) return { status: 'interrupted', durationMs };
      return { status: 'completed', durationMs };
    } finally {
      this.events.off('dtmf', onDtmf);
      options.signal?.removeEventListener('abort', onAbort);
      if (this.playing === state) this.playing = undefined;
    }
  }

  /**
   * Plays `target` pass after pass until the leg ends or the playback is stopped. Not FreeSWITCH's
   * endless_playback: mod_dptools (1.10) treats a uuid_break like a finished pass and starts the file
   * again, so hold audio played that way never stops and `unhold` would wait forever.
   */
  private async playLoop(target: string, state: Playing): Promise<void> {
    while (!this.done && !state.interrupted) {
      const started = Date.now();
      await this.ep.play(target);
      // A pass that ends at once (unreadable file) would spin on the event socket: stop looping.
      if (Date.now() - started < 100 && !state.interrupted) {
        this.log.warn({ target }, 'looped playback ended at once; not repeating it');
        return;
      }
    }
  }

  private async breakMedia(): Promise<void> {
    try {
      await this.command(this.ep.api('uuid_break', [this.ep.uuid, 'all']), 'uuid_break');
    } catch (err) {
      this.log.debug({ err: (err as Error).message }, 'uuid_break failed');
    }
  }

  private async finish(event: HangupEvent, sendBye: boolean): Promise<void> {
    if (this.done) return;
    this.done = true;
    const partner = this.bridgedWith;
    if (partner) partner.bridgedWith = undefined;
    this.bridgedWith = undefined;
    this.resolveEnded(event);
    this.events.emit('hangup', event);
    const work: Promise<unknown>[] = [];
    const reason = hangupReasonHeader(event.cause);
    if (sendBye && this.dialog.connected)
      work.push(
        this.command(this.dialog.destroy(reason ? { headers: { Reason: reason } } : undefined), 'BYE'),
      );
    if (this.ep.connected) work.push(this.command(this.ep.destroy(), 'endpoint release'));
    const results = await Promise.allSettled(work);
    for (const r of results) {
      if (r.status === 'rejected')
        this.log.debug({ err: (r.reason as Error).message }, 'cleanup step failed');
    }
    this.server.active = Math.max(0, this.server.active - 1);
    this.deps.onEnded(this);
  }

  private command<T>(p: Promise<T>, what: string): Promise<T> {
    return withTimeout(p, this.deps.operationTimeoutMs, what);
  }

  private assertActive(operation: string): void {
    if (this.done) throw new LegEndedError(this.info.id, operation);
  }
}

/**
 * How much of one stream segment the far end heard. FreeSWITCH's playback_ms counts the samples it
 * read from the file, and it reads ahead: after a uuid_break it reports the whole file (measured on
 * 1.10.12: 1500 for a 1.5 s file broken off after 1 s). So a segment broken off counts the time it
 * played (`elapsedMs`); a segment played to its end counts its length, or less if FreeSWITCH read less.
 */
function playedMs(result: unknown, segmentMs: number, elapsedMs: number | undefined): number {
  if (elapsedMs !== undefined) return Math.min(elapsedMs, segmentMs);
  const reported = Number((result as { playbackMilliseconds?: unknown } | undefined)?.playbackMilliseconds);
  return Number.isFinite(reported) && reported >= 0 ? Math.min(reported, segmentMs) : segmentMs;
}
