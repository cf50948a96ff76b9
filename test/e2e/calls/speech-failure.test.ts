/**
 * A recogniser that is down during a call is loud, never silent: a speech-error call event carries the
 * provider's error, the agent says its fallback line and the call goes on with keys. Real server on
 * the embedded backend, a baresip caller, a Deepgram URL nothing listens on. Port block: 24500-24999.
 */
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Baresip } from '../../helpers/baresip.js';
import {
  sleep,
  startAcceptanceServer,
  until,
  type AcceptanceServer,
} from './acceptance/acceptance-server.js';

const BASE = 24500;
const KEY = 'dg-test-key-never-logged';

/** A loopback port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

describe('a recogniser that is down during a call', () => {
  let app: AcceptanceServer;

  beforeAll(async () => {
    const port = await closedPort();
    app = await startAcceptanceServer(BASE, {
      speech: {
        recognizer: 'deepgram',
        deepgram: { url: `ws://127.0.0.1:${port}/v1/listen`, api_key: KEY },
        provider_timeout_ms: 2000,
      },
    });
    await app.setupAgent({
      name: 'deaf',
      number: '+14155550501',
      steps: [
        { say: 'Hello.' },
        { gather: { input: 'any', max_digits: 1, timeout_ms: 20000, into: 'choice' } },
        { hangup: { say: 'Thank you.' } },
      ],
    });
    const res = await app.api('GET', '/agents?limit=10');
    const id = (res.body.items as Array<{ id: string; name: string }>).find((a) => a.name === 'deaf')!.id;
    const patched = await app.api('PATCH', `/agents/${id}`, {
      speech: { on_failure: { say: 'Sorry, I cannot hear you. Please use your keypad.', then: 'dtmf' } },
    });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
  });
  afterAll(async () => app?.stop());

  it('gives a speech-error event with the provider error, says the fallback, and takes keys', async () => {
    const caller = new Baresip({ sipPort: BASE + 10, user: 'caller' });
    await caller.start();
    try {
      const before = new Set((await app.server.store.calls.list({ limit: 100 })).items.map((c) => c.id));
      caller.command('dial', `sip:+14155550501@${app.sipTarget}`);
      await caller.waitFor('CALL_ESTABLISHED', 15_000);
      const call = await until(async () =>
        (await app.server.store.calls.list({ limit: 100 })).items.find((c) => !before.has(c.id)),
      );
      const failure = await until(async () =>
        (await app.events(call.id)).find((e) => e.type === 'speech-error'),
      ).catch(async (err: Error) => {
        throw new Error(`${err.message}: ${JSON.stringify(await app.events(call.id))}`);
      });
      expect(failure.data).toMatchObject({ provider: 'deepgram', failure: 'unavailable' });
      await until(async () =>
        (await app.events(call.id)).some(
          (e) => e.type === 'transcript' && String(e.data.text).startsWith('Sorry, I cannot hear you'),
        ),
      ).catch(async (err: Error) => {
        throw new Error(`${err.message}: ${JSON.stringify(await app.events(call.id))}`);
      });
      await sleep(500);
      caller.command('sndcode', '1');
      const ended = await app.callWhen(call.id, (c) => c.state === 'ended', 20_000);
      expect(ended.collected).toMatchObject({ choice: '1' });
      const all = JSON.stringify(await app.events(call.id));
      expect(all).not.toContain(KEY);
    } finally {
      await caller.stop();
    }
  }, 60_000);
});
