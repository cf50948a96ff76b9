/**
 * SIP over secure WebSocket (WSS): with `sip.websocket.tls_cert`/`tls_key` the embedded listener speaks
 * TLS, names WSS in Via and Contact, and the phone endpoint hands out a wss:// URL. A self-signed
 * certificate made by openssl for the test.
 * Port block: none of its own (API, SIP and WebSocket on port 0; no media).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startServer, type RunningServer } from '../../../src/server.js';
import type { EmbeddedTelephony } from '../../../src/telephony/embedded/index.js';
import { tempDir, testConfig } from '../../helpers/temp.js';

let dir: { dir: string; cleanup: () => void };
let server: RunningServer;

beforeAll(async () => {
  dir = tempDir('callwright-e2e-sipwss-');
  const cert = path.join(dir.dir, 'cert.pem');
  const key = path.join(dir.dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
  const config = testConfig(dir.dir, {
    sip: { address: '127.0.0.1', websocket: { enabled: true, port: 0, tls_cert: cert, tls_key: key } },
  });
  server = await startServer(config, { io: { out: () => undefined, err: () => undefined, tty: false } });
}, 60_000);

afterAll(async () => {
  await server?.stop();
  dir?.cleanup();
});

it('answers OPTIONS over WSS and hands out a wss:// URL', async () => {
  const ws = (server.telephony as EmbeddedTelephony).websocket;
  expect(ws?.scheme).toBe('wss');
  const socket = new WebSocket(`wss://127.0.0.1:${ws?.port}`, ['sip'], { rejectUnauthorized: false });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  const host = `${randomBytes(4).toString('hex')}.invalid`;
  const reply = new Promise<string>((resolve) => socket.once('message', (d) => resolve(String(d))));
  socket.send(
    [
      'OPTIONS sip:ping@127.0.0.1 SIP/2.0',
      `Via: SIP/2.0/WSS ${host};branch=z9hG4bKtls1`,
      'Max-Forwards: 70',
      `From: <sip:t@${host}>;tag=t1`,
      'To: <sip:ping@127.0.0.1>',
      'Call-ID: tls-1',
      'CSeq: 1 OPTIONS',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
  );
  expect((await reply).split('\r\n')[0]).toBe('SIP/2.0 200 OK');
  socket.close();

  const apiKey = (await server.store.apiKeys.create('tls')).token;
  const demo = await server.store.agents.findBy('name', 'demo');
  const res = await fetch(`${server.apiUrl}/agents/${demo?.id}/phone`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}` },
  });
  expect(((await res.json()) as { ws_url: string }).ws_url).toBe(`wss://127.0.0.1:${ws?.port}`);
});
