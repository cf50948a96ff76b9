import type { Logger } from '../../logging/logger.js';
import type { FsMediaServer, Mrf } from './drachtio-types.js';
import type { MediaServerSettings } from './config.js';
import { backoffDelay } from '../../util/backoff.js';

/** One configured FreeSWITCH and its live connection, if any. */
export interface MediaServerHandle {
  readonly name: string;
  ms: FsMediaServer | undefined;
  /** Legs of ours whose endpoint lives here (drives least-loaded placement). */
  active: number;
  lastError?: string;
}

export interface PoolOptions {
  mrf: Mrf;
  servers: MediaServerSettings[];
  logger: Logger;
  maxRetryDelayMs: number;
  baseRetryDelayMs?: number;
}

/**
 * Keeps a connection to every configured FreeSWITCH and places calls on the least-loaded one that is
 * up (ties go round-robin). A server that drops is reconnected with jittered exponential back-off;
 * the others keep taking calls meanwhile.
 */
export class MediaServerPool {
  readonly handles: MediaServerHandle[];
  private readonly timers = new Map<MediaServerHandle, NodeJS.Timeout>();
  private readonly attempts = new Map<MediaServerHandle, number>();
  private stopped = false;
  private rr = 0;

  constructor(private readonly opts: PoolOptions) {
    this.handles = opts.servers.map((s) => ({
      name: s.name || `${s.address}:${s.port}`,
      ms: undefined,
      active: 0,
    }));
  }

  /** Tries each server once; those that fail keep retrying in the background. */
  async start(): Promise<void> {
    this.stopped = false;
    await Promise.all(this.handles.map((h, i) => this.connect(h, i)));
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    for (const h of this.handles) {
      const ms = h.ms;
      h.ms = undefined;
      if (ms) {
        ms.removeAllListeners('end');
        try {
          ms.disconnect();
        } catch {
          /* already gone */
        }
      }
    }
  }

  isUp(h: MediaServerHandle): boolean {
    return !!h.ms && h.ms.connected();
  }

  /** The least-loaded server that is up, other than `exclude`; undefined when none is. */
  pick(exclude?: MediaServerHandle): MediaServerHandle | undefined {
    const up = this.handles.filter((h) => h !== exclude && this.isUp(h));
    if (up.length === 0) return undefined;
    const min = Math.min(...up.map((h) => h.active));
    const least = up.filter((h) => h.active === min);
    return least[this.rr++ % least.length];
  }

  /** Servers to try for a new call, best first. */
  candidates(): MediaServerHandle[] {
    const first = this.pick();
    if (!first) return [];
    return [
      first,
      ...this.handles.filter((h) => h !== first && this.isUp(h)).sort((a, b) => a.active - b.active),
    ];
  }

  down(): MediaServerHandle[] {
    return this.handles.filter((h) => !this.isUp(h));
  }

  private async connect(h: MediaServerHandle, index: number): Promise<void> {
    const s = this.opts.servers[index] as MediaServerSettings;
    const log = this.opts.logger.child({ mediaServer: h.name });
    try {
      const ms = await this.opts.mrf.connect({
        address: s.address,
        port: s.port,
        secret: s.secret,
        ...(s.listen_address ? { listenAddress: s.listen_address } : {}),
        ...(s.listen_port ? { listenPort: s.listen_port } : {}),
        ...(s.advertised_address ? { advertisedAddress: s.advertised_address } : {}),
        profile: 'drachtio_mrf',
      });
      if (this.stopped) {
        ms.disconnect();
        return;
      }
      h.ms = ms;
      delete h.lastError;
      this.attempts.set(h, 0);
      log.info('media server connected');
      // drachtio-modesl would retry the inbound socket on its own, but the MediaServer built on it would
      // not re-subscribe or re-read `sofia status`; a fresh mrf.connect gives a clean MediaServer.
      ms.once('end', () => {
        if (h.ms !== ms) return;
        h.ms = undefined;
        h.lastError = 'event socket connection lost';
        log.warn('media server connection lost; reconnecting');
        try {
          ms.disconnect();
        } catch {
          /* already closed */
        }
        this.schedule(h, index);
      });
    } catch (err) {
      h.lastError = (err as Error).message;
      log.warn({ err: h.lastError }, 'media server connect failed; will retry');
      this.schedule(h, index);
    }
  }

  private schedule(h: MediaServerHandle, index: number): void {
    if (this.stopped || this.timers.has(h)) return;
    const attempt = (this.attempts.get(h) ?? 0) + 1;
    this.attempts.set(h, attempt);
    const wait = backoffDelay(attempt, this.opts.baseRetryDelayMs ?? 500, this.opts.maxRetryDelayMs);
    const timer = setTimeout(() => {
      this.timers.delete(h);
      void this.connect(h, index);
    }, wait);
    timer.unref?.();
    this.timers.set(h, timer);
  }
}
