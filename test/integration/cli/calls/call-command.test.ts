import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { cliHarness } from '../cli-harness.js';

let h: ReturnType<typeof cliHarness>;
let api: http.Server | undefined;
afterEach(async () => {
  h?.cleanup();
  await new Promise<void>((r) => (api ? api.close(() => r()) : r()));
  api = undefined;
});

/** Stands in for the running server's admin API: records the request, answers with `reply`. */
async function fakeApi(status: number, reply: unknown) {
  const seen: Array<{ url: string; auth: string; body: unknown }> = [];
  api = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ url: req.url ?? '', auth: req.headers.authorization ?? '', body: JSON.parse(body) });
      res.statusCode = status;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(reply));
    });
  });
  await new Promise<void>((r) => api!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(api.address() as AddressInfo).port}`, seen };
}

describe('callwright call', () => {
  it('asks the running server to place the call with the variables', async () => {
    h = cliHarness();
    const fake = await fakeApi(202, { call_id: 'call_1', state: 'ringing' });
    const r = await h.run(
      'call',
      'collector',
      '+14155550123',
      '--var',
      'invoice=A-17',
      '--var',
      'name=Ada',
      '--api-url',
      fake.url,
      '--api-key',
      'cw_key',
    );
    expect(r).toMatchObject({ code: 0, out: ['call call_1 ringing'] });
    expect(fake.seen).toEqual([
      {
        url: '/calls',
        auth: 'Bearer cw_key',
        body: { agent: 'collector', to: '+14155550123', variables: { invoice: 'A-17', name: 'Ada' } },
      },
    ]);
  });

  it.each([
    [['--amd'], { amd: true }],
    [['--no-amd'], { amd: false }],
    [[], {}],
  ])(
    '%j turns answering-machine detection on or off for the call (none: the agent decides)',
    async (flags, amd) => {
      h = cliHarness();
      const fake = await fakeApi(202, { call_id: 'call_2', state: 'ringing' });
      const r = await h.run(
        'call',
        'collector',
        '+14155550123',
        ...flags,
        '--api-url',
        fake.url,
        '--api-key',
        'k',
      );
      expect(r.code).toBe(0);
      expect(fake.seen[0]?.body).toEqual({ agent: 'collector', to: '+14155550123', variables: {}, ...amd });
    },
  );

  it("prints the server's refusal (DNC) and exits 1", async () => {
    h = cliHarness();
    const fake = await fakeApi(409, {
      code: 'DNC',
      message: '•••••••••0123 is on the Do-Not-Call list; the call was not placed',
    });
    const r = await h.run('call', 'collector', '+14155550123', '--api-url', fake.url, '--api-key', 'k');
    expect(r.code).toBe(1);
    expect(r.err.join('\n')).toContain(
      'error [DNC]: •••••••••0123 is on the Do-Not-Call list; the call was not placed',
    );
  });

  it('refuses a --var without = and a missing API key, naming the option', async () => {
    h = cliHarness();
    delete process.env.CALLWRIGHT_API_KEY;
    expect((await h.run('call', 'a', '+14155550123', '--var', 'novalue')).err.join('\n')).toMatch(
      /--var: got "novalue", expected key=value/,
    );
    expect(
      (await h.run('call', 'a', '+14155550123', '--api-url', 'http://127.0.0.1:1')).err.join('\n'),
    ).toMatch(/--api-key/);
  });
});
