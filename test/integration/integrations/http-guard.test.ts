import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GuardedHttpClient, type Resolver } from '../../../src/integrations/http/guarded-http-client.js';
import { OutboundHttpError } from '../../../src/integrations/http/outbound-http-error.js';
import { startHttpReceiver, type HttpReceiver } from '../../helpers/http-receiver.js';
import type { HttpSettings } from '../../../src/config/schema.js';

const DEFAULTS: HttpSettings = {
  allow_private: false,
  allow_hosts: [],
  timeout_ms: 2000,
  max_response_bytes: 64 * 1024,
  max_redirects: 3,
  allow_cross_host_redirects: false,
};

let rx: HttpReceiver;
let other: HttpReceiver;
beforeAll(async () => {
  rx = await startHttpReceiver();
  other = await startHttpReceiver(() => ({ status: 200, body: { host: 'other' } }));
});
afterAll(async () => {
  await rx.close();
  await other.close();
});

function client(settings: Partial<HttpSettings> = {}, resolver?: Resolver) {
  return new GuardedHttpClient({ ...DEFAULTS, ...settings }, resolver);
}

async function refusal(p: Promise<unknown>): Promise<OutboundHttpError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(OutboundHttpError);
  return err as OutboundHttpError;
}

describe('outbound HTTP guard', () => {
  it.each([
    ['loopback', 'http://127.0.0.1:9/x'],
    ['private 10/8', 'http://10.1.2.3/x'],
    ['cloud metadata', 'http://169.254.169.254/latest/meta-data/'],
    ['CGNAT', 'http://100.64.0.1/'],
    ['private 192.168/16', 'http://192.168.1.1/'],
    ['IPv6 loopback', 'http://[::1]:9/'],
    ['IPv6 ULA', 'http://[fd00::1]/'],
    ['IPv4-mapped loopback', 'http://[::ffff:127.0.0.1]:9/'],
    ['unspecified', 'http://0.0.0.0:9/'],
  ])('refuses %s by default (%s)', async (_name, url) => {
    const err = await refusal(client().request({ method: 'GET', url }));
    expect(err.code).toBe('HTTP_BLOCKED');
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(/http\.allow_hosts/);
  });

  it('refuses a loopback receiver that really listens, then reaches it once 127.0.0.1 is allowed', async () => {
    const denied = await refusal(client().request({ method: 'GET', url: `${rx.url}/ping` }));
    expect(denied.code).toBe('HTTP_BLOCKED');
    const before = rx.requests.length;
    expect(before).toBe(0);
    const res = await client({ allow_hosts: ['127.0.0.1'] }).request({
      method: 'GET',
      url: `${rx.url}/ping`,
    });
    expect(res.status).toBe(200);
    expect(rx.requests.at(-1)?.url).toBe('/ping');
  });

  it('allows by CIDR, by host name, or with allow_private', async () => {
    for (const settings of [{ allow_hosts: ['127.0.0.0/8'] }, { allow_private: true }]) {
      expect((await client(settings).request({ method: 'GET', url: rx.url })).status).toBe(200);
    }
    const named = client({ allow_hosts: ['hooks.internal'] }, async () => [
      { address: '127.0.0.1', family: 4 },
    ]);
    const res = await named.request({ method: 'GET', url: `http://hooks.internal:${rx.port}/named` });
    expect(res.status).toBe(200);
    // The Host header keeps the name; the socket went to the checked address.
    expect(rx.requests.at(-1)?.headers.host).toBe(`hooks.internal:${rx.port}`);
  });

  it('checks every resolved address: one private answer among public ones refuses the host', async () => {
    const resolver: Resolver = async () => [
      { address: '93.184.216.34', family: 4 },
      { address: '10.0.0.5', family: 4 },
    ];
    const err = await refusal(client({}, resolver).request({ method: 'GET', url: 'http://mixed.example/' }));
    expect(err.code).toBe('HTTP_BLOCKED');
    expect(err.message).toContain('10.0.0.5');
  });

  it('pins the connection to the checked address: DNS is asked once per hop, never again at connect', async () => {
    let lookups = 0;
    // A rebinding resolver: the first answer is the allowed receiver, later answers would be the metadata service.
    const resolver: Resolver = async () => {
      lookups++;
      return [{ address: lookups === 1 ? '127.0.0.1' : '169.254.169.254', family: 4 }];
    };
    const c = client({ allow_hosts: ['127.0.0.1'] }, resolver);
    const res = await c.request({ method: 'GET', url: `http://rebind.test:${rx.port}/pinned` });
    expect(res.status).toBe(200);
    expect(lookups).toBe(1);
    const second = await refusal(c.request({ method: 'GET', url: `http://rebind.test:${rx.port}/pinned` }));
    expect(second.message).toContain('169.254.169.254');
  });

  it('cuts off large responses and times out slow ones', async () => {
    rx.respond(() => ({ status: 200, body: 'x'.repeat(100_000) }));
    const big = await refusal(client({ allow_hosts: ['127.0.0.1'] }).request({ method: 'GET', url: rx.url }));
    expect(big.code).toBe('HTTP_TOO_LARGE');
    rx.respond(() => ({ status: 200, body: {}, delayMs: 800 }));
    const slow = await refusal(
      client({ allow_hosts: ['127.0.0.1'] }).request({ method: 'GET', url: rx.url, timeoutMs: 150 }),
    );
    expect(slow.code).toBe('HTTP_TIMEOUT');
    expect(slow.retryable).toBe(true);
    rx.respond(() => ({ status: 200, body: {} }));
  });

  it('follows same-host redirects and refuses cross-host ones unless allowed', async () => {
    rx.respond((req) =>
      req.url === '/old'
        ? { status: 302, headers: { location: '/new' } }
        : req.url === '/away'
          ? { status: 307, headers: { location: `${other.url}/there` } }
          : { status: 200, body: { at: req.url } },
    );
    const c = client({ allow_hosts: ['127.0.0.1'] });
    const res = await c.request({ method: 'GET', url: `${rx.url}/old` });
    expect(JSON.parse(res.body)).toEqual({ at: '/new' });
    const err = await refusal(c.request({ method: 'GET', url: `${rx.url}/away` }));
    expect(err.code).toBe('HTTP_REDIRECT');
    const followed = await client({ allow_hosts: ['127.0.0.1'], allow_cross_host_redirects: true }).request({
      method: 'POST',
      url: `${rx.url}/away`,
      headers: { authorization: 'Bearer secret' },
      body: '{}',
    });
    expect(JSON.parse(followed.body)).toEqual({ host: 'other' });
    // 307 keeps the method; credentials stay with the first host.
    expect(other.requests.at(-1)?.method).toBe('POST');
    expect(other.requests.at(-1)?.headers.authorization).toBeUndefined();
    rx.respond(() => ({ status: 200, body: {} }));
  });

  it('refuses non-http schemes', async () => {
    const err = await refusal(client().request({ method: 'GET', url: 'file:///etc/passwd' }));
    expect(err.code).toBe('HTTP_BAD_URL');
  });
});
