import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiHarness, type ApiHarness, type Json } from './harness.js';

let h: ApiHarness;
beforeAll(async () => {
  h = await apiHarness();
  for (const c of [
    {
      phone: '+14155550401',
      first_name: 'Ada',
      last_name: 'Lovelace',
      email: 'ada@example.com',
      tags: ['vip'],
    },
    { phone: '+14155550402', first_name: 'Alan', last_name: 'Turing', email: 'alan@example.org' },
    { phone: '+442071838750', first_name: 'Grace', last_name: 'Hopper_100%', email: 'grace@example.com' },
  ]) {
    expect((await h.call('POST', '/contacts', c)).status).toBe(201);
  }
});
afterAll(async () => h.close());

const names = async (query: string): Promise<string[]> => {
  const res = await h.call('GET', `/contacts?${query}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.items.map((c: Json) => c.first_name);
};

describe('GET /contacts?q=', () => {
  it('finds text in the names (full name too) and the email, ignoring ASCII case', async () => {
    expect(await names('q=love')).toEqual(['Ada']);
    expect(await names('q=ALAN%20T')).toEqual(['Alan']);
    expect(await names('q=example.com')).toEqual(['Ada', 'Grace']);
  });

  it('finds part of a phone number written with separators, and combines with the other filters', async () => {
    expect(await names(`q=${encodeURIComponent('(415) 555-04')}`)).toEqual(['Ada', 'Alan']);
    expect(await names('q=7183')).toEqual(['Grace']);
    expect(await names('q=555&tag=vip')).toEqual(['Ada']);
  });

  it('takes % and _ literally', async () => {
    expect(await names('q=%25')).toEqual(['Grace']);
    expect(await names('q=_1')).toEqual(['Grace']);
    expect(await names('q=a_a')).toEqual([]);
  });

  it('refuses a query longer than 100 characters, naming it', async () => {
    const res = await h.call('GET', `/contacts?q=${'x'.repeat(101)}`);
    expect(res.status).toBe(400);
    expect(res.body.issues[0]).toMatchObject({ field: 'query.q' });
  });
});
