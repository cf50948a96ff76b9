import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiHarness, type ApiHarness } from './harness.js';

let h: ApiHarness;
beforeAll(async () => {
  h = await apiHarness();
});
afterAll(async () => h.close());

describe('the Do-Not-Call history', () => {
  it('records who set and who cleared the mark, when and why, newest first', async () => {
    const c = (await h.call('POST', '/contacts', { phone: '+14155550301' })).body;
    await h.call('PUT', `/contacts/${c.id}/dnc`, { reason: 'asked on call', by: 'agent Sam' });
    const cleared = await h.call('DELETE', `/contacts/${c.id}/dnc`, { reason: 'opted back in by email' });
    expect(cleared.status).toBe(200);
    expect(cleared.body).toMatchObject({ dnc: false, dnc_reason: null });
    // Without a body (older clients) the clear is still recorded, with the key and no reason.
    await h.call('PUT', `/contacts/${c.id}/dnc`, { reason: 'complaint' });
    expect((await h.call('DELETE', `/contacts/${c.id}/dnc`)).status).toBe(200);

    const history = await h.call('GET', `/contacts/${c.id}/dnc-history`);
    expect(history.status).toBe(200);
    expect(history.body.items.map((i: Record<string, string>) => [i.change, i.by, i.reason])).toEqual([
      ['clear', expect.stringMatching(/^api-key:key_/), ''],
      ['set', expect.stringMatching(/^api-key:key_/), 'complaint'],
      ['clear', expect.stringMatching(/^api-key:key_/), 'opted back in by email'],
      ['set', 'agent Sam', 'asked on call'],
    ]);
    for (const i of history.body.items) expect(Date.parse(i.at)).not.toBeNaN();
  });

  it('refuses an empty reason or an unknown field when clearing; 404 for an unknown contact', async () => {
    const c = (await h.call('POST', '/contacts', { phone: '+14155550302' })).body;
    const empty = await h.call('DELETE', `/contacts/${c.id}/dnc`, { reason: '' });
    expect(empty.status).toBe(400);
    expect(empty.body.issues[0]).toMatchObject({ field: 'body.reason', value: '' });
    const unknown = await h.call('DELETE', `/contacts/${c.id}/dnc`, { reason: 'x', why: 'y' });
    expect(unknown.status).toBe(400);
    expect((await h.call('GET', '/contacts/con_missing/dnc-history')).status).toBe(404);
  });
});
