/**
 * A local server that speaks Deepgram's live streaming protocol (`/v1/listen` over a WebSocket), for
 * recogniser tests. It checks the handshake the way Deepgram does (path, query, `Authorization: Token`),
 * listens to the binary linear16 audio and decides from its energy when an utterance starts and ends;
 * the words it answers with are scripted by the test (`say`). Replies use Deepgram's documented JSON
 * shapes: `Results` (interim, `is_final`, `speech_final`, `from_finalize`) and `Metadata`.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export interface DeepgramConnection {
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  audioBytes: number;
  keepAlives: number;
  finalizes: number;
  closeStreams: number;
  /** Every server message sent, parsed. */
  sent: Record<string, unknown>[];
  closed?: { code: number; reason: string };
}

export interface DeepgramServerOptions {
  apiKey: string;
  /** RMS above which a 20 ms block counts as speech. */
  speechRms?: number;
  /** Deepgram closes a stream that sends nothing for 10 s with 1011 NET-0001. */
  idleTimeoutMs?: number;
  /** Emit the final transcript as two `is_final` segments (the second `speech_final`). */
  splitFinals?: boolean;
}

export type DeepgramFault =
  | { kind: 'status'; status: number; body: string }
  /** Accept the TCP connection and never answer the upgrade. */
  | { kind: 'hang-upgrade' }
  /** Answer the upgrade this much later. */
  | { kind: 'slow-upgrade'; ms: number }
  /** Never answer CloseStream (no last results, no close). */
  | { kind: 'ignore-close-stream' }
  /** Close the socket with this code and reason once this much audio has arrived. */
  | { kind: 'close-after-audio'; ms: number; code: number; reason: string };

export interface DeepgramServer {
  /** ws://127.0.0.1:<port>/v1/listen */
  url: string;
  connections: DeepgramConnection[];
  /** The words of the next utterance the server hears. */
  say(text: string): void;
  fault(fault: DeepgramFault | undefined): void;
  close(): Promise<void>;
}

const MODEL_INFO = { name: 'general-nova-2-double', version: '2024-01-01.0', arch: 'nova-2' };

export async function startDeepgramServer(options: DeepgramServerOptions): Promise<DeepgramServer> {
  const connections: DeepgramConnection[] = [];
  const script: string[] = [];
  let fault: DeepgramFault | undefined;
  const sockets = new Set<Socket>();
  const wss = new WebSocketServer({ noServer: true });
  const server = http.createServer((_req, res) => {
    res.writeHead(426, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ err_code: 'Bad Request', err_msg: 'WebSocket upgrade expected.' }));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  server.on('upgrade', (req, socket, head) => {
    if (fault?.kind === 'slow-upgrade') {
      setTimeout(() => upgrade(req, socket as Socket, head), fault.ms);
      return;
    }
    upgrade(req, socket as Socket, head);
  });

  function upgrade(req: http.IncomingMessage, socket: Socket, head: Buffer): void {
    const requestId = randomUUID();
    const refuse = (status: number, errCode: string, errMsg: string): void => {
      const body = JSON.stringify({ err_code: errCode, err_msg: errMsg, request_id: requestId });
      socket.end(
        `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ''}\r\n` +
          'content-type: application/json\r\n' +
          `dg-request-id: ${requestId}\r\n` +
          `dg-error: ${errMsg}\r\n` +
          `content-length: ${Buffer.byteLength(body)}\r\n` +
          'connection: close\r\n\r\n' +
          body,
      );
    };
    if (fault?.kind === 'hang-upgrade') return;
    if (fault?.kind === 'status') {
      const body = fault.body;
      socket.end(
        `HTTP/1.1 ${fault.status} ${http.STATUS_CODES[fault.status] ?? ''}\r\n` +
          `dg-request-id: ${requestId}\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n` +
          body,
      );
      return;
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/v1/listen') return refuse(404, 'Not Found', `No route for ${url.pathname}.`);
    if (req.headers.authorization !== `Token ${options.apiKey}`) {
      return refuse(401, 'INVALID_AUTH', 'Invalid credentials.');
    }
    const q = url.searchParams;
    const problems: string[] = [];
    if (q.get('encoding') !== 'linear16') problems.push('encoding must be linear16');
    if (!/^\d+$/.test(q.get('sample_rate') ?? '')) problems.push('sample_rate is required for linear16');
    if (q.get('channels') !== '1') problems.push('channels must be 1');
    if (!q.get('model')) problems.push('model is required');
    const nova3 = /^nova-3/.test(q.get('model') ?? '');
    if (nova3 && q.has('keywords')) problems.push('Keywords are not supported for Nova-3; use keyterm');
    for (const k of q.getAll('keywords')) {
      if (!/^[^:]+:-?\d+(\.\d+)?$/.test(k)) problems.push(`keywords ${k} is not KEYWORD:INTENSIFIER`);
    }
    if (problems.length > 0) return refuse(400, 'Bad Request', problems.join('; '));
    wss.handleUpgrade(req, socket, head, (ws) => {
      const conn: DeepgramConnection = {
        query: q,
        headers: req.headers,
        audioBytes: 0,
        keepAlives: 0,
        finalizes: 0,
        closeStreams: 0,
        sent: [],
      };
      connections.push(conn);
      serve(ws, conn, requestId, Number(q.get('sample_rate')), Number(q.get('endpointing') ?? 10));
    });
  }

  function serve(
    ws: WebSocket,
    conn: DeepgramConnection,
    requestId: string,
    rate: number,
    endpointingMs: number,
  ) {
    const block = Math.round(rate / 50); // 20 ms
    const speechRms = options.speechRms ?? 400;
    let pending = Buffer.alloc(0);
    let samples = 0; // audio clock: samples received
    let speechStart = -1; // sample where the current utterance began
    let lastVoiced = -1;
    let words: string[] = [];
    let shownWords = 0;
    let lastInterimAt = 0;
    let finalizedUpTo = 0; // sample up to which results are final
    let idleTimer: NodeJS.Timeout | undefined;
    const idle = (): void => {
      clearTimeout(idleTimer);
      idleTimer = setTimeout(
        () =>
          ws.close(1011, 'NET-0001: did not receive audio data or a text message within the timeout window'),
        options.idleTimeoutMs ?? 10_000,
      );
    };
    idle();

    const send = (msg: Record<string, unknown>): void => {
      conn.sent.push(msg);
      ws.send(JSON.stringify(msg));
    };
    const results = (
      text: string,
      from: number,
      to: number,
      flags: { is_final: boolean; speech_final: boolean; from_finalize?: boolean },
    ): void => {
      const start = from / rate;
      const duration = Math.max(0, to - from) / rate;
      const list = text ? text.split(/\s+/) : [];
      const step = list.length > 0 ? duration / list.length : 0;
      send({
        type: 'Results',
        channel_index: [0, 1],
        duration,
        start,
        is_final: flags.is_final,
        speech_final: flags.speech_final,
        channel: {
          alternatives: [
            {
              transcript: text,
              confidence: text ? 0.93 : 0,
              words: list.map((w, i) => ({
                word: w.toLowerCase().replace(/[^a-z0-9']/g, ''),
                start: start + i * step,
                end: start + (i + 1) * step,
                confidence: 0.93,
                punctuated_word: w,
              })),
            },
          ],
        },
        metadata: { request_id: requestId, model_info: MODEL_INFO, model_uuid: randomUUID() },
        from_finalize: flags.from_finalize ?? false,
      });
    };

    /** The utterance is over: its words as final result(s). */
    const finalize = (end: number, fromFinalize: boolean): void => {
      const from = Math.max(speechStart, finalizedUpTo);
      if (speechStart >= 0) {
        const text = words.join(' ');
        if (options.splitFinals && words.length > 1 && !fromFinalize) {
          const half = Math.ceil(words.length / 2);
          const mid = from + Math.round(((end - from) * half) / words.length);
          results(words.slice(0, half).join(' '), from, mid, { is_final: true, speech_final: false });
          results(words.slice(half).join(' '), mid, end, { is_final: true, speech_final: true });
        } else {
          results(text, from, end, {
            is_final: true,
            speech_final: !fromFinalize,
            from_finalize: fromFinalize,
          });
        }
      } else if (fromFinalize) {
        results('', finalizedUpTo, end, { is_final: true, speech_final: false, from_finalize: true });
      }
      finalizedUpTo = end;
      speechStart = -1;
      lastVoiced = -1;
      words = [];
      shownWords = 0;
    };

    const onBlock = (pcm: Int16Array): void => {
      let sum = 0;
      for (const v of pcm) sum += v * v;
      const voiced = Math.sqrt(sum / pcm.length) > speechRms;
      const at = samples;
      samples += pcm.length;
      if (voiced) {
        if (speechStart < 0) {
          speechStart = at;
          words = (script.shift() ?? '').split(/\s+/).filter(Boolean);
          shownWords = 0;
          lastInterimAt = at;
        }
        lastVoiced = samples;
      }
      if (speechStart < 0) return;
      // Interim results about every 300 ms of speech, a word more each time (never the whole utterance).
      if (samples - lastInterimAt >= rate * 0.3 && shownWords < words.length - 1) {
        shownWords++;
        lastInterimAt = samples;
        results(words.slice(0, shownWords).join(' '), speechStart, samples, {
          is_final: false,
          speech_final: false,
        });
      }
      // Endpointing: this much silence after speech ends the utterance.
      if (!voiced && lastVoiced >= 0 && samples - lastVoiced >= (rate * endpointingMs) / 1000) {
        finalize(lastVoiced, false);
      }
    };

    ws.on('message', (data, isBinary) => {
      idle();
      if (isBinary) {
        const chunk = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer);
        conn.audioBytes += chunk.length;
        pending = Buffer.concat([pending, chunk]);
        while (pending.length >= block * 2) {
          const bytes = pending.subarray(0, block * 2);
          const copy = new Int16Array(block);
          for (let i = 0; i < block; i++) copy[i] = bytes.readInt16LE(i * 2);
          pending = pending.subarray(block * 2);
          onBlock(copy);
        }
        if (fault?.kind === 'close-after-audio' && conn.audioBytes >= (rate * 2 * fault.ms) / 1000) {
          ws.close(fault.code, fault.reason);
        }
        return;
      }
      let msg: { type?: string };
      try {
        msg = JSON.parse(String(data)) as { type?: string };
      } catch {
        ws.close(1008, 'DATA-0000: the payload could not be decoded');
        return;
      }
      if (msg.type === 'KeepAlive') conn.keepAlives++;
      else if (msg.type === 'Finalize') {
        conn.finalizes++;
        finalize(samples, true);
      } else if (msg.type === 'CloseStream') {
        conn.closeStreams++;
        if (fault?.kind === 'ignore-close-stream') return;
        if (speechStart >= 0) finalize(samples, false);
        send({
          type: 'Metadata',
          transaction_key: 'deprecated',
          request_id: requestId,
          sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
          created: new Date().toISOString(),
          duration: samples / rate,
          channels: 1,
          models: [MODEL_INFO.name],
          model_info: { [randomUUID()]: MODEL_INFO },
        });
        ws.close(1000);
      }
    });
    ws.on('close', (code, reason) => {
      clearTimeout(idleTimer);
      conn.closed = { code, reason: reason.toString() };
    });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `ws://127.0.0.1:${port}/v1/listen`,
    connections,
    say: (text) => script.push(text),
    fault: (f) => (fault = f),
    close: async () => {
      for (const ws of wss.clients) ws.terminate();
      for (const s of sockets) s.destroy();
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
