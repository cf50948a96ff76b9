import WebSocket from 'ws';
import { parseServerEvent, type ServerEvent } from './realtime-protocol.js';

export interface RealtimeSocketOptions {
  url: string;
  model: string;
  apiKey: string;
  connectTimeoutMs: number;
  signal: AbortSignal;
  onEvent(event: ServerEvent): void;
  /** The socket closed without `close()` being called (the server dropped it, or the network). */
  onDrop(reason: string): void;
}

/**
 * One Realtime session's WebSocket: `Authorization: Bearer` and the beta protocol header on the
 * upgrade, JSON events both ways. `connect` resolves once open, or rejects naming what went wrong
 * (status of a refused upgrade, the timeout) without repeating the key.
 */
export class RealtimeSocket {
  private closing = false;

  private constructor(private readonly ws: WebSocket) {}

  static connect(o: RealtimeSocketOptions): Promise<RealtimeSocket> {
    const url = new URL(o.url);
    url.searchParams.set('model', o.model);
    const ws = new WebSocket(url, {
      headers: { Authorization: `Bearer ${o.apiKey}`, 'OpenAI-Beta': 'realtime=v1' },
      handshakeTimeout: o.connectTimeoutMs,
    });
    const socket = new RealtimeSocket(ws);
    return new Promise<RealtimeSocket>((resolve, reject) => {
      let settled = false;
      const fail = (reason: string): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        o.signal.removeEventListener('abort', onAbort);
        socket.closing = true;
        ws.terminate();
        reject(new Error(reason));
      };
      const timer = setTimeout(
        () => fail(`realtime connect timed out after ${o.connectTimeoutMs} ms`),
        o.connectTimeoutMs,
      );
      const onAbort = (): void => fail('realtime connect aborted: the call ended');
      if (o.signal.aborted) return onAbort();
      o.signal.addEventListener('abort', onAbort, { once: true });
      ws.on('unexpected-response', (_req, res) => {
        res.resume();
        fail(`realtime upgrade refused: HTTP ${res.statusCode ?? 0}`);
      });
      ws.on('error', (err) => {
        if (!settled) fail(`realtime connect failed: ${err.message}`);
      });
      ws.on('open', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        o.signal.removeEventListener('abort', onAbort);
        resolve(socket);
      });
      ws.on('message', (data, isBinary) => {
        if (isBinary) return;
        const text = Array.isArray(data)
          ? Buffer.concat(data).toString('utf8')
          : Buffer.from(data as ArrayBuffer).toString('utf8');
        const event = parseServerEvent(text);
        if (event) o.onEvent(event);
      });
      ws.on('close', (code, reason) => {
        if (settled && !socket.closing)
          o.onDrop(`closed ${code}${reason.length ? ` ${reason.toString()}` : ''}`);
        socket.closing = true;
      });
    });
  }

  get open(): boolean {
    return !this.closing && this.ws.readyState === WebSocket.OPEN;
  }

  send(event: Record<string, unknown>): void {
    if (this.open) this.ws.send(JSON.stringify(event));
  }

  /** Closes normally (1000); never reported as a drop. */
  close(): void {
    if (this.closing) return;
    this.closing = true;
    this.ws.close(1000, 'call ended');
    // A server that never answers the close handshake must not keep the socket alive.
    setTimeout(() => this.ws.terminate(), 2000).unref();
  }
}
