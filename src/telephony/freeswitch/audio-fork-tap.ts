import { CallwrightError } from '../../errors.js';
import type { Logger } from '../../logging/logger.js';
import { LegEndedError, type AudioTap, type HangupEvent } from '../port.js';
import type { AudioForkServer, ForkConnection } from './audio-fork-server.js';
import type { FsEndpoint } from './drachtio-types.js';

/** The media bug's name on the channel; one tap per leg, so one name serves. */
export const FORK_BUG = 'callwright';
/** How long a socket closed by FreeSWITCH may precede the leg's own end and still count as the hang-up. */
const HANGUP_GRACE_MS = 1000;

type StopReason = Awaited<AudioTap['stopped']>;

export interface ForkTapOptions {
  ep: FsEndpoint;
  legId: string;
  server: AudioForkServer;
  onFrame: (frame: Int16Array) => void;
  /** How long FreeSWITCH has to connect after `uuid_audio_fork start`. */
  connectTimeoutMs: number;
  ended: Promise<HangupEvent>;
  isActive: () => boolean;
  /** Bounds one FreeSWITCH command (operation_timeout_ms). */
  command: <T>(p: Promise<T>, what: string) => Promise<T>;
  log: Logger;
}

/**
 * A running `uuid_audio_fork` on a leg's channel: FreeSWITCH reads the far end's audio (the channel's
 * read stream, mono, 8 kHz) and streams it to our AudioForkServer, which hands it on in 20 ms frames.
 */
export class ForkTap implements AudioTap {
  readonly sampleRate = 8000;
  readonly stopped: Promise<StopReason>;
  private resolveStopped!: (r: StopReason) => void;
  private finished = false;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly opts: ForkTapOptions,
    private readonly conn: ForkConnection,
  ) {
    this.stopped = new Promise((resolve) => (this.resolveStopped = resolve));
    void opts.ended.then(() => this.finish({ reason: 'hangup' }));
    void conn.closed.then((c) => this.onSocketClosed(c));
  }

  /** Starts the fork and waits for FreeSWITCH's connection; rejects UNAVAILABLE when either fails. */
  static async start(opts: ForkTapOptions): Promise<ForkTap> {
    const { ep, log } = opts;
    const pending = opts.server.expect(opts.onFrame, opts.connectTimeoutMs);
    // It may fail before anyone awaits it (a refused start); the failure is reported below.
    pending.connected.catch(() => undefined);
    // Without this the wait would only end at the timeout when FreeSWITCH cannot reach the server.
    const onConnectFailed = (body: unknown): void => {
      const reason =
        body && typeof body === 'object' && 'reason' in body ? String(body.reason) : String(body ?? '');
      pending.fail(
        new Error(`FreeSWITCH could not connect to ${opts.server.url}: ${reason || 'no reason given'}`),
      );
    };
    ep.addCustomEventListener('mod_audio_fork::connect_failed', onConnectFailed);
    void opts.ended.then(() => pending.fail(new Error('the call ended before the audio fork connected')));
    try {
      // The module splits its arguments on spaces: the metadata is compact JSON without any.
      const metadata = JSON.stringify({ leg: opts.legId });
      const res = await opts.command(
        ep.api('uuid_audio_fork', [ep.uuid, 'start', pending.url, 'mono', '8k', FORK_BUG, metadata]),
        'uuid_audio_fork start',
      );
      const body = responseBody(res);
      if (!body.startsWith('+OK')) {
        const err = new Error(`uuid_audio_fork start answered ${JSON.stringify(body.trim())}`);
        pending.fail(err);
        throw err;
      }
      const conn = await pending.connected;
      log.debug({ url: opts.server.url }, 'audio fork connected');
      return new ForkTap(opts, conn);
    } catch (err) {
      pending.fail(err as Error);
      if (!opts.isActive()) throw new LegEndedError(opts.legId, 'listen');
      await stopFork(opts).catch(() => undefined);
      throw new CallwrightError('UNAVAILABLE', `listen: ${(err as Error).message}`, [], { cause: err });
    } finally {
      ep.removeCustomEventListener('mod_audio_fork::connect_failed', onConnectFailed);
    }
  }

  stop(): void {
    void this.close();
  }

  /** Stops the fork on FreeSWITCH (so the bug name is free for the next tap) and closes the socket. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.finish({ reason: 'stopped' });
      if (this.opts.isActive()) {
        await stopFork(this.opts).catch((err: Error) =>
          this.opts.log.debug({ err: err.message }, 'uuid_audio_fork stop failed'),
        );
      }
      this.conn.close();
    })();
    return this.closing;
  }

  private async onSocketClosed({ code, reason }: { code: number; reason: string }): Promise<void> {
    if (this.finished) return;
    // FreeSWITCH closes the socket when the channel hangs up, which may reach us before the BYE does.
    if (this.opts.isActive()) {
      const ended = await Promise.race([
        this.opts.ended.then(() => true),
        new Promise<boolean>((r) => setTimeout(() => r(false), HANGUP_GRACE_MS).unref()),
      ]);
      if (!ended) {
        const error = `the audio fork closed while the call was up (code ${code}${reason ? `: ${reason}` : ''})`;
        this.opts.log.warn({ code, reason }, 'audio fork closed unexpectedly');
        this.finish({ reason: 'error', error });
        return;
      }
    }
    this.finish({ reason: 'hangup' });
  }

  private finish(r: StopReason): void {
    if (this.finished) return;
    this.finished = true;
    if (r.reason !== 'stopped') this.conn.close();
    this.resolveStopped(r);
  }
}

function stopFork(opts: ForkTapOptions): Promise<unknown> {
  return opts.command(
    opts.ep.api('uuid_audio_fork', [opts.ep.uuid, 'stop', FORK_BUG]),
    'uuid_audio_fork stop',
  );
}

function responseBody(res: unknown): string {
  const r = res as { getBody?: () => string; body?: string } | undefined;
  if (typeof r?.getBody === 'function') return String(r.getBody() ?? '');
  return String(r?.body ?? '');
}
