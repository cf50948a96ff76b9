import type { Logger } from '../../logging/logger.js';
import type { FreeswitchSettings } from './config.js';
import type { Srf } from './drachtio-types.js';

/**
 * The connection to drachtio-server. drachtio-srf reconnects by itself after a drop (its wire
 * protocol backs off 150 ms × 1.7 per attempt, capped by `reconnect.retryMaxDelay`); this class passes
 * the cap in and follows the connect/close/error events so readiness can say whether signaling is up.
 */
export class DrachtioLink {
  connected = false;
  lastError: string | undefined;
  private firstConnect: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly srf: Srf,
    private readonly settings: FreeswitchSettings['drachtio'],
    private readonly log: Logger,
  ) {}

  get address(): string {
    return `${this.settings.host}:${this.settings.port}`;
  }

  /** Connects; waits up to connect_timeout_ms for the first connection, then keeps retrying in the background. */
  async start(): Promise<void> {
    this.stopped = false;
    this.firstConnect ??= new Promise<void>((resolve) => {
      this.srf.on('connect', (err: Error | null, hostport?: string) => {
        if (err) {
          this.connected = false;
          this.lastError = err.message;
          this.log.error(
            { err: err.message },
            'drachtio-server refused the connection (check freeswitch.drachtio.secret)',
          );
          return;
        }
        this.connected = true;
        this.lastError = undefined;
        this.log.info({ hostport }, 'connected to drachtio-server');
        resolve();
      });
      // Without an 'error' listener an EventEmitter error would crash the process.
      this.srf.on('error', (err: Error) => {
        this.lastError = err.message;
        if (!this.stopped) this.log.warn({ err: err.message }, 'drachtio-server connection error');
      });
      this.srf.on('close', () => {
        if (this.connected && !this.stopped) this.log.warn('drachtio-server connection closed; reconnecting');
        this.connected = false;
        this.lastError ??= 'connection closed';
      });
      this.srf.on('reconnecting', (opts: { delay?: number; attempt?: number }) => {
        this.log.debug({ delay: opts?.delay, attempt: opts?.attempt }, 'reconnecting to drachtio-server');
      });
      this.srf.connect({
        host: this.settings.host,
        port: this.settings.port,
        secret: this.settings.secret,
        reconnect: { retryMaxDelay: this.settings.max_retry_delay_ms },
      });
    });
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>(
      (resolve) => (timer = setTimeout(resolve, this.settings.connect_timeout_ms)),
    );
    await Promise.race([this.firstConnect, waited]);
    clearTimeout(timer);
    if (!this.connected) {
      this.log.warn(
        { address: this.address },
        'drachtio-server not reachable yet; retrying in the background',
      );
    }
  }

  stop(): void {
    this.stopped = true;
    this.connected = false;
    try {
      this.srf.disconnect();
    } catch {
      /* never connected */
    }
  }
}
