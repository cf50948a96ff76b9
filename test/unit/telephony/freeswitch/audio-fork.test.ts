import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createLogger } from '../../../../src/logging/logger.js';
import { AudioForkServer } from '../../../../src/telephony/freeswitch/audio-fork-server.js';
import { CallwrightError } from '../../../../src/errors.js';
import { freeswitchConfigIssues } from '../../../../src/telephony/freeswitch/config.js';
import { answeredCall, dialogOf, settings, startRig, waitFor, type Rig } from './harness.js';
import type { FakeEndpoint } from './drachtio-fakes.js';

const silent = createLogger({ level: 'silent', redact_pii: true });

let rig: Rig | undefined;
let server: AudioForkServer | undefined;
afterEach(async () => {
  await rig?.telephony.stop();
  rig = undefined;
  await server?.stop();
  server = undefined;
});

/** s16le bytes of consecutive sample values from `from`. */
function pcmBytes(from: number, count: number): Buffer {
  const b = Buffer.alloc(count * 2);
  for (let i = 0; i < count; i++) b.writeInt16LE(from + i, 2 * i);
  return b;
}

/** The fake channel's side of the fork, once its handshake has completed there too. */
async function openFork(ep: FakeEndpoint): Promise<WebSocket> {
  await waitFor(() => ep.fork?.readyState === WebSocket.OPEN);
  return ep.fork as WebSocket;
}

/** Opens a WebSocket as mod_audio_fork does; resolves with the HTTP status when the upgrade is refused. */
function connectAs(url: string): Promise<{ open: true; ws: WebSocket } | { open: false; status: number }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, 'audio.drachtio.org');
    ws.on('open', () => resolve({ open: true, ws }));
    ws.on('unexpected-response', (_req, res) => resolve({ open: false, status: res.statusCode ?? 0 }));
    ws.on('error', () => undefined);
  });
}

describe('freeswitch call leg: listen (mod_audio_fork)', () => {
  it('starts a mono 8 kHz fork with a bug name and compact metadata, and cuts the byte stream into 20 ms frames', async () => {
    rig = await startRig();
    const { leg, ep } = await answeredCall(rig);
    const frames: Int16Array[] = [];
    const tap = await leg.listen((f) => frames.push(f));
    expect(tap.sampleRate).toBe(8000);
    const [uuid, action, url, mix, rate, bug, metadata] = ep.forkArgs;
    expect([uuid, action, mix, rate, bug]).toEqual([ep.uuid, 'start', 'mono', '8k', 'callwright']);
    expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/[A-Za-z0-9_-]{32}$/);
    expect(JSON.parse(metadata ?? '')).toEqual({ leg: leg.info.id });

    const ws = await openFork(ep);
    // 320 bytes (one frame), 640 (two joined), then one frame split at an odd byte.
    const stream = pcmBytes(0, 160 * 4);
    ws.send(stream.subarray(0, 320));
    ws.send(stream.subarray(320, 960));
    ws.send(stream.subarray(960, 1111));
    ws.send(stream.subarray(1111, 1280));
    await waitFor(() => frames.length === 4);
    frames.forEach((f, n) => {
      expect(f).toBeInstanceOf(Int16Array);
      expect(f.length).toBe(160);
      expect(f[0]).toBe(n * 160);
      expect(f[159]).toBe(n * 160 + 159);
    });
    expect(new Set(frames.map((f) => f.buffer)).size).toBe(4);
    tap.stop();
    expect(await tap.stopped).toEqual({ reason: 'stopped' });
  });

  it('stop() sends uuid_audio_fork stop, closes the socket and delivers no more frames', async () => {
    rig = await startRig();
    const { leg, ep } = await answeredCall(rig);
    let count = 0;
    const tap = await leg.listen(() => count++);
    const ws = await openFork(ep);
    ws.send(pcmBytes(1, 160));
    await waitFor(() => count === 1);
    tap.stop();
    expect(await tap.stopped).toEqual({ reason: 'stopped' });
    await waitFor(() => ws.readyState === ws.CLOSED);
    expect(ep.log).toContain(`api uuid_audio_fork ${ep.uuid} stop callwright`);
    expect(count).toBe(1);
  });

  it('the leg ending resolves stopped with hangup', async () => {
    rig = await startRig();
    const { leg, ep } = await answeredCall(rig);
    const tap = await leg.listen(() => undefined);
    const ws = await openFork(ep);
    dialogOf(leg).remoteBye();
    expect(await tap.stopped).toEqual({ reason: 'hangup' });
    await waitFor(() => ws.readyState === ws.CLOSED);
  });

  it('a second listen stops the first before starting its own fork', async () => {
    rig = await startRig();
    const { leg, ep } = await answeredCall(rig);
    const first: Int16Array[] = [];
    const second: Int16Array[] = [];
    const tap1 = await leg.listen((f) => first.push(f));
    const url1 = ep.forkArgs[2];
    const tap2 = await leg.listen((f) => second.push(f));
    expect(await tap1.stopped).toEqual({ reason: 'stopped' });
    expect(ep.forkArgs[2]).not.toBe(url1);
    const starts = ep.log.filter((l) => l.startsWith('api uuid_audio_fork'));
    expect(starts.map((l) => l.split(' ')[3])).toEqual(['start', 'stop', 'start']);
    (await openFork(ep)).send(pcmBytes(5, 160));
    await waitFor(() => second.length === 1);
    expect(first).toHaveLength(0);
    tap2.stop();
  });

  it('two listens at once: the second starts after the first and stops it', async () => {
    rig = await startRig();
    const { leg, ep } = await answeredCall(rig);
    const got: string[] = [];
    const [a, b] = await Promise.all([leg.listen(() => got.push('a')), leg.listen(() => got.push('b'))]);
    expect(await a.stopped).toEqual({ reason: 'stopped' });
    (await openFork(ep)).send(pcmBytes(0, 160));
    await waitFor(() => got.length === 1);
    expect(got).toEqual(['b']);
    b.stop();
  });

  it('a call ending before FreeSWITCH connects the fork rejects listen with LegEndedError at once', async () => {
    rig = await startRig();
    const { leg, ep } = await answeredCall(rig);
    ep.audioFork = 'silent';
    const started = Date.now();
    const listening = leg.listen(() => undefined);
    await waitFor(() => ep.forkArgs.length > 0);
    dialogOf(leg).remoteBye();
    await expect(listening).rejects.toThrow(/has ended; cannot listen/);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('the fork closing while the call is up resolves stopped with error', async () => {
    rig = await startRig();
    const { leg, ep } = await answeredCall(rig);
    const tap = await leg.listen(() => undefined);
    (await openFork(ep)).close(1011, 'lost');
    const r = await tap.stopped;
    expect(r.reason).toBe('error');
    expect(r.error).toMatch(/audio fork closed while the call was up \(code 1011: lost\)/);
    expect(leg.active).toBe(true);
  });

  it('loads mod_audio_fork when FreeSWITCH has not, once per connection', async () => {
    rig = await startRig({
      prepare: (f) => {
        const connect = f.mrf.connect.bind(f.mrf);
        f.mrf.connect = async (opts) => {
          const ms = await connect(opts);
          ms.audioForkModule = 'loadable';
          return ms;
        };
      },
    });
    const { leg, ms } = await answeredCall(rig);
    const tap = await leg.listen(() => undefined);
    expect(ms.apiCommands.filter((c) => c === 'load mod_audio_fork')).toHaveLength(1);
    tap.stop();
    await (await leg.listen(() => undefined)).stop();
    expect(ms.apiCommands.filter((c) => c === 'load mod_audio_fork')).toHaveLength(1);
  });

  it('rejects UNAVAILABLE, saying what is missing and where it comes from, when mod_audio_fork cannot be loaded', async () => {
    rig = await startRig({
      prepare: (f) => {
        const connect = f.mrf.connect.bind(f.mrf);
        f.mrf.connect = async (opts) => {
          const ms = await connect(opts);
          ms.audioForkModule = 'missing';
          return ms;
        };
      },
    });
    const { leg, ms } = await answeredCall(rig);
    const err = await leg.listen(() => undefined).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CallwrightError);
    expect((err as CallwrightError).code).toBe('UNAVAILABLE');
    expect((err as Error).message).toMatch(/has no mod_audio_fork/);
    expect((err as Error).message).toMatch(/drachtio-freeswitch-modules/);
    expect((err as Error).message).toMatch(/docs\/telephony\.md/);
    // A failed check is not remembered: once the module is installed, listen works.
    ms.audioForkModule = 'loadable';
    await (await leg.listen(() => undefined)).stop();
  });

  it('rejects UNAVAILABLE when FreeSWITCH refuses the fork or reports it cannot connect', async () => {
    rig = await startRig();
    const { leg, ep } = await answeredCall(rig);
    ep.audioFork = 'refused';
    await expect(leg.listen(() => undefined)).rejects.toThrow(/uuid_audio_fork start answered "-ERR/);
    ep.audioFork = 'unreachable';
    await expect(leg.listen(() => undefined)).rejects.toThrow(/could not connect to ws:.*connection refused/);
    ep.audioFork = 'connects';
    await (await leg.listen(() => undefined)).stop();
  });

  it('refuses listen on an ended leg', async () => {
    rig = await startRig();
    const { leg } = await answeredCall(rig);
    await leg.hangup();
    await expect(leg.listen(() => undefined)).rejects.toThrow(/has ended; cannot listen/);
  });
});

describe('audio fork server', () => {
  it('refuses unknown paths with 404 and accepts a registered path once', async () => {
    server = new AudioForkServer({ address: '127.0.0.1', port: 0, url: '', logger: silent });
    await server.start();
    expect(await connectAs(`${server.url}/not-a-token`)).toEqual({ open: false, status: 404 });
    expect(await connectAs(`${server.url}/`)).toEqual({ open: false, status: 404 });
    const pending = server.expect(() => undefined, 2000);
    const first = await connectAs(pending.url);
    expect(first.open).toBe(true);
    const conn = await pending.connected;
    expect(await connectAs(pending.url)).toEqual({ open: false, status: 404 });
    if (first.open) {
      expect(first.ws.protocol).toBe('audio.drachtio.org');
      first.ws.send('{"leg":"x"}');
      await waitFor(() => conn.metadata !== undefined);
      expect(conn.metadata).toBe('{"leg":"x"}');
      first.ws.close();
    }
  });

  it('gives up on a fork that does not connect in time, naming the URL FreeSWITCH must reach', async () => {
    server = new AudioForkServer({ address: '127.0.0.1', port: 0, url: '', logger: silent });
    await server.start();
    const pending = server.expect(() => undefined, 50);
    await expect(pending.connected).rejects.toThrow(
      /FreeSWITCH did not connect to ws:\/\/127\.0\.0\.1:\d+ within 50 ms.*freeswitch\.audio_fork_url/,
    );
    // The path is no longer valid.
    expect(await connectAs(pending.url)).toEqual({ open: false, status: 404 });
  });

  it('hands FreeSWITCH the configured URL with the token as the last path segment', async () => {
    server = new AudioForkServer({
      address: '127.0.0.1',
      port: 0,
      url: 'ws://media-gw.internal:8090/fork/',
      logger: silent,
    });
    await server.start();
    const pending = server.expect(() => undefined, 1000);
    pending.connected.catch(() => undefined);
    expect(pending.url).toMatch(/^ws:\/\/media-gw\.internal:8090\/fork\/[A-Za-z0-9_-]{32}$/);
    pending.fail(new Error('not needed'));
  });

  it('stop() fails forks still waiting and closes open ones', async () => {
    server = new AudioForkServer({ address: '127.0.0.1', port: 0, url: '', logger: silent });
    await server.start();
    const open = server.expect(() => undefined, 2000);
    const c = await connectAs(open.url);
    const conn = await open.connected;
    const waiting = server.expect(() => undefined, 2000);
    await server.stop();
    server = undefined;
    await expect(waiting.connected).rejects.toThrow(/stopped/);
    expect((await conn.closed).code).toBeGreaterThan(0);
    if (c.open) await waitFor(() => c.ws.readyState === WebSocket.CLOSED);
  });
});

describe('audio fork settings', () => {
  it.each([
    [{ audio_fork_url: 'http://10.0.0.5:8090' }, 'freeswitch.audio_fork_url'],
    [{ audio_fork_url: 'ws://10.0.0.5:8090/a b' }, 'freeswitch.audio_fork_url'],
    [{ audio_fork_url: 'ws://10.0.0.5:8090/?x=1' }, 'freeswitch.audio_fork_url'],
    [{ audio_fork_address: '0.0.0.0', audio_fork_url: '' }, 'freeswitch.audio_fork_url'],
  ])('refuses %j, naming %s', (overrides, field) => {
    const issues = freeswitchConfigIssues(settings(overrides));
    expect(issues).toEqual([expect.objectContaining({ field, expected: expect.stringMatching(/ws:\/\//) })]);
  });

  it.each([
    [{}],
    [{ audio_fork_address: '0.0.0.0', audio_fork_url: 'ws://10.0.0.5:8090' }],
    [{ audio_fork_url: 'wss://fork.example.com/callwright' }],
  ])('accepts %j', (overrides) => {
    expect(freeswitchConfigIssues(settings(overrides))).toEqual([]);
  });

  it('a backend whose audio-fork port was taken can start once it is free', async () => {
    const blocker = new AudioForkServer({ address: '127.0.0.1', port: 0, url: '', logger: silent });
    await blocker.start();
    const port = Number(new URL(blocker.url).port);
    const { FakeDrachtio } = await import('./drachtio-fakes.js');
    const { FreeswitchTelephony } =
      await import('../../../../src/telephony/freeswitch/freeswitch-telephony.js');
    const telephony = new FreeswitchTelephony({
      settings: settings({ audio_fork_port: port }),
      trunks: [],
      logger: silent,
      drachtio: new FakeDrachtio(),
    });
    try {
      await expect(telephony.start()).rejects.toThrow(/EADDRINUSE/);
      await blocker.stop();
      await telephony.start();
      expect(telephony.readiness().ready).toBe(true);
    } finally {
      await blocker.stop();
      await telephony.stop();
    }
  });

  it('a port already taken fails the start, naming the keys', async () => {
    const first = new AudioForkServer({ address: '127.0.0.1', port: 0, url: '', logger: silent });
    await first.start();
    const port = Number(new URL(first.url).port);
    const second = new AudioForkServer({ address: '127.0.0.1', port, url: '', logger: silent });
    try {
      await expect(second.start()).rejects.toThrow(
        /freeswitch\.audio_fork_address\/audio_fork_port: cannot listen on 127\.0\.0\.1:\d+ \(EADDRINUSE\)/,
      );
    } finally {
      await first.stop();
    }
  });
});
