import type { FastifyReply, FastifyRequest } from 'fastify';

/** The heartbeat comment's interval: proxies and browsers keep a quiet stream open with it. */
export const HEARTBEAT_MS = 15_000;
/** A client this far behind (bytes not yet taken by its socket) is dropped rather than buffered for. */
const MAX_BACKLOG_BYTES = 1024 * 1024;
/** How soon EventSource reconnects after the stream ends (the SSE `retry` field). */
const RECONNECT_MS = 2_000;

/**
 * One Server-Sent Events response (text/event-stream, WHATWG HTML §9.2): named events with JSON data,
 * a comment line as heartbeat. The reply is hijacked: fastify no longer owns it, the stream does.
 */
export class EventStream {
  private closed = false;
  private readonly timer: NodeJS.Timeout;
  private readonly closers: Array<() => void> = [];
  /** Frames written before the snapshot, sent right after it (see `holdUntilSnapshot`). */
  private held: string[] | undefined;

  constructor(
    private readonly reply: FastifyReply,
    heartbeatMs: number,
    /** Run at each heartbeat: a reason to end the stream (its credentials were revoked), or undefined. */
    private readonly recheck: () => Promise<string | undefined> = async () => undefined,
  ) {
    reply.hijack();
    reply.raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // A buffering proxy (nginx) would hold events back until its buffer fills.
      'x-accel-buffering': 'no',
    });
    reply.raw.write(`retry: ${RECONNECT_MS}\n\n`);
    this.timer = setInterval(() => this.beat(), heartbeatMs);
    this.timer.unref();
    reply.raw.on('close', () => this.close());
  }

  get open(): boolean {
    return !this.closed;
  }

  /** Sends one event; `data` is serialised by the caller once for every stream that gets it. */
  sendRaw(event: string, json: string): void {
    this.write(`event: ${event}\ndata: ${json}\n\n`);
  }

  send(event: string, data: unknown): void {
    this.sendRaw(event, JSON.stringify(data));
  }

  /**
   * Holds every frame back until `sendSnapshot`. The snapshot is read from the store after the stream
   * subscribes to the change feed and the read awaits, so changes can arrive first; sent after the
   * snapshot they are at worst repeats of what it holds (clients upsert by id), never lost or stale.
   */
  holdUntilSnapshot(): void {
    this.held ??= [];
  }

  /** Sends the snapshot, then whatever was held back while it was read. */
  sendSnapshot(data: unknown): void {
    const held = this.held ?? [];
    this.held = undefined;
    this.send('snapshot', data);
    for (const frame of held) this.write(frame);
  }

  /** Runs `fn` once when the stream ends, whoever ends it (client, server stop, backlog). */
  onClose(fn: () => void): void {
    if (this.closed) fn();
    else this.closers.push(fn);
  }

  /** Ends the stream with a last `closing` event, sent even while frames are held for the snapshot. */
  end(reason: string): void {
    this.held = undefined;
    this.send('closing', { reason });
    this.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    for (const fn of this.closers.splice(0)) fn();
    if (!this.reply.raw.writableEnded) this.reply.raw.end();
  }

  /** A heartbeat, once the caller is still allowed: a revoked key or an ended session ends the stream. */
  private beat(): void {
    void this.recheck()
      .then((reason) => {
        if (reason === undefined) return this.write(': heartbeat\n\n');
        this.end(reason);
      })
      .catch(() => this.close());
  }

  private write(text: string): void {
    if (this.closed) return;
    if (this.held) {
      this.held.push(text);
      return;
    }
    const raw = this.reply.raw;
    if (raw.destroyed || raw.writableLength > MAX_BACKLOG_BYTES) return this.close();
    raw.write(text);
  }
}

/** Every open stream of one API instance, so stopping the API ends them (else close would wait on them). */
export class EventStreams {
  private readonly streams = new Set<EventStream>();

  constructor(
    private readonly heartbeatMs = HEARTBEAT_MS,
    /** Whether the request's credentials still hold (a long stream outlives its key or session). */
    private readonly stillAllowed: (req: FastifyRequest) => Promise<string | undefined> = async () =>
      undefined,
  ) {}

  get size(): number {
    return this.streams.size;
  }

  open(req: FastifyRequest, reply: FastifyReply): EventStream {
    const stream = new EventStream(reply, this.heartbeatMs, () => this.stillAllowed(req));
    this.streams.add(stream);
    stream.onClose(() => this.streams.delete(stream));
    req.log.debug({ streams: this.streams.size }, 'event stream opened');
    return stream;
  }

  /** Ends every stream with a last `closing` event, so a client can tell a stop from a dropped line. */
  closeAll(reason: string): void {
    for (const s of [...this.streams]) s.end(reason);
  }
}
