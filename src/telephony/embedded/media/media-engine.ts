import { networkInterfaces } from 'node:os';
import type { Config } from '../../../config/schema.js';
import { CallwrightError } from '../../../errors.js';
import type { Logger } from '../../../logging/logger.js';
import type { SpeechSynthesizer } from '../../../speech/speech-synthesizer.js';
import type { MediaEngine, MediaEngineStats, MediaSession } from './media-session.js';
import { MediaClock } from './media-clock.js';
import { AudioFileCache } from './audio-file-cache.js';
import { generateHoldChime, LoopSource, PcmSource } from './audio-source.js';
import { PortAllocator } from './port-allocator.js';
import { RtpMediaSession, type SessionContext } from './rtp-media-session.js';

/** `workers` is optional here: the in-process engine ignores it, and benches and tests build settings by hand. */
export type MediaSettings = Omit<Config['media'], 'workers'> & Partial<Pick<Config['media'], 'workers'>>;

export interface MediaEngineDeps {
  logger?: Logger;
  /** Needed for MediaSource kind 'speech'; without it such plays reject with UNAVAILABLE. */
  speech?: SpeechSynthesizer;
  /** Shared decoded-WAV cache (one per process is plenty). */
  files?: AudioFileCache;
}

/** Extra numbers for benchmarks and health output. */
export interface MediaEngineDetail extends MediaEngineStats {
  latenessMaxMs: number;
  frames: number;
  /** Clock ticks dropped after event-loop stalls longer than 100 ms (no frame sent for them). */
  skippedTicks: number;
  freePorts: number;
}

/** The address peers should send RTP to, per media.advertised_address's documented fallback. */
export function advertisedAddress(settings: MediaSettings): string {
  if (settings.advertised_address) return settings.advertised_address;
  if (settings.address !== '0.0.0.0' && settings.address !== '::') return settings.address;
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

export class RtpMediaEngine implements MediaEngine {
  private readonly clock: MediaClock;
  private readonly ports: PortAllocator;
  private readonly sessions = new Set<RtpMediaSession>();
  private readonly ctx: SessionContext;
  private holdPcm = generateHoldChime();
  /** The decoded-WAV cache when this engine made it (then it closes it too). */
  private readonly ownFiles: AudioFileCache | null;
  private closed = false;

  constructor(settings: MediaSettings, deps: MediaEngineDeps = {}) {
    if (settings.rtp_port_max < settings.rtp_port_min) {
      throw new CallwrightError('CONFIG_INVALID', 'media.rtp_port_max is below media.rtp_port_min', [
        {
          field: 'media.rtp_port_max',
          value: settings.rtp_port_max,
          expected: `>= ${settings.rtp_port_min}`,
        },
      ]);
    }
    this.clock = new MediaClock((err) =>
      deps.logger?.error({ err }, 'media session failed on the clock; dropped'),
    );
    this.ports = new PortAllocator(settings.address, settings.rtp_port_min, settings.rtp_port_max);
    const files = deps.files ?? new AudioFileCache();
    this.ownFiles = deps.files ? null : files;
    this.ctx = {
      clock: this.clock,
      files,
      ...(deps.speech ? { speech: deps.speech } : {}),
      ...(deps.logger ? { logger: deps.logger } : {}),
      holdMusic: () => new LoopSource(new PcmSource(this.holdPcm)),
      advertisedAddress: advertisedAddress(settings),
      timeoutMs: settings.timeout_ms,
      released: (s) => this.release(s),
    };
    if (settings.hold_music) {
      files.load(settings.hold_music).then(
        (pcm) => (this.holdPcm = pcm),
        (err: unknown) =>
          deps.logger?.warn({ err }, 'media.hold_music cannot be played; using the generated chime'),
      );
    }
  }

  async createSession(): Promise<MediaSession> {
    return this.createRtpSession();
  }

  /** The concrete session (tests and the benchmark read its counters). */
  async createRtpSession(): Promise<RtpMediaSession> {
    if (this.closed) throw new CallwrightError('UNAVAILABLE', 'media engine is closed');
    const { socket, port } = await this.ports.allocate();
    const session = new RtpMediaSession(socket, port, this.ctx);
    this.sessions.add(session);
    return session;
  }

  stats(): MediaEngineStats {
    const l = this.clock.latencyStats();
    return { sessions: this.sessions.size, latenessP50Ms: l.p50, latenessP99Ms: l.p99 };
  }

  detail(): MediaEngineDetail {
    const l = this.clock.latencyStats();
    return {
      ...this.stats(),
      latenessMaxMs: l.max,
      frames: l.frames,
      skippedTicks: l.skippedTicks,
      freePorts: this.ports.available,
    };
  }

  resetStats(): void {
    this.clock.resetStats();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const s of [...this.sessions]) s.close();
    this.clock.stop();
    await this.ownFiles?.close();
  }

  private release(session: RtpMediaSession): void {
    this.sessions.delete(session);
    this.ports.release(session.localPort);
  }
}

/** The embedded backend's media layer: one shared clock, one RTP socket per session. */
export function createMediaEngine(settings: MediaSettings, deps: MediaEngineDeps = {}): RtpMediaEngine {
  return new RtpMediaEngine(settings, deps);
}
