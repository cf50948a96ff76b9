import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiHarness, type ApiHarness, type Json } from './harness.js';

let h: ApiHarness;
beforeAll(async () => {
  h = await apiHarness();
});
afterAll(async () => h.close());

async function newContact(phone: string, extra: Json = {}): Promise<Json> {
  const res = await h.call('POST', '/contacts', { phone, ...extra });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

describe('contacts: tags, lists and Do-Not-Call', () => {
  it('creates a contact with tags (created on first use) and lists (by id)', async () => {
    const list = (await h.call('POST', '/lists', { name: 'spring' })).body;
    const c = await newContact('+14155550001', { tags: ['vip', 'west'], lists: [list.id] });
    expect(c.tags).toEqual(['vip', 'west']);
    expect(c.lists).toEqual([{ id: list.id, name: 'spring' }]);
    const tags = (await h.call('GET', '/tags')).body.items.map((t: Json) => t.name);
    expect(tags).toEqual(expect.arrayContaining(['vip', 'west']));
  });

  it('replaces the tag set on update and leaves it alone when tags are not given', async () => {
    const c = await newContact('+14155550002', { tags: ['a', 'b'] });
    const res = await h.call('PATCH', `/contacts/${c.id}`, { tags: ['c'] });
    expect(res.body.tags).toEqual(['c']);
    const again = await h.call('PATCH', `/contacts/${c.id}`, { first_name: 'Bo' });
    expect(again.body.tags).toEqual(['c']);
  });

  it('adds and removes one tag and one list membership', async () => {
    const c = await newContact('+14155550003');
    const list = (await h.call('POST', '/lists', { name: 'renewals' })).body;
    expect((await h.call('PUT', `/contacts/${c.id}/tags/hot%20lead`)).body.tags).toEqual(['hot lead']);
    expect((await h.call('PUT', `/contacts/${c.id}/tags/hot%20lead`)).body.tags).toEqual(['hot lead']);
    expect((await h.call('PUT', `/contacts/${c.id}/lists/${list.id}`)).body.lists).toHaveLength(1);
    expect((await h.call('DELETE', `/contacts/${c.id}/tags/hot%20lead`)).body.tags).toEqual([]);
    expect((await h.call('DELETE', `/contacts/${c.id}/lists/${list.id}`)).body.lists).toEqual([]);
    expect((await h.call('PUT', `/contacts/${c.id}/lists/lst_missing`)).status).toBe(404);
    expect((await h.call('PUT', `/contacts/con_missing/tags/x`)).status).toBe(404);
  });

  it('refuses an unknown list id, time zone or disposition naming the field', async () => {
    const lists = await h.call('POST', '/contacts', { phone: '+14155550004', lists: ['lst_nope'] });
    expect(lists.status).toBe(400);
    expect(lists.body.issues).toContainEqual({
      field: 'body.lists.0',
      value: 'lst_nope',
      expected: 'the id of an existing list',
    });
    const tz = await h.call('POST', '/contacts', { phone: '+14155550004', timezone: 'Paris' });
    expect(tz.body.issues[0]).toMatchObject({ field: 'body.timezone', value: 'Paris' });
    const disp = await h.call('POST', '/contacts', { phone: '+14155550004', disposition: 'sold' });
    expect(disp.body.issues[0]).toMatchObject({ field: 'body.disposition', value: 'sold' });
    await h.call('POST', '/dispositions', { scope: 'contact', code: 'sold', label: 'Sold' });
    expect((await h.call('POST', '/contacts', { phone: '+14155550004', disposition: 'sold' })).status).toBe(
      201,
    );
    // Nothing partial: the refused bodies left no contact behind.
    expect((await h.store.contacts.search({}, { phone: '+14155550004' })).total).toBe(1);
    expect((await h.call('GET', '/contacts?phone=%2B14155550004')).status).toBe(400);
  });

  it('records who, when and why a number went on the Do-Not-Call list, and clears it', async () => {
    const c = await newContact('+14155550005');
    const marked = await h.call('PUT', `/contacts/${c.id}/dnc`, { reason: 'asked on call', by: 'agent Sam' });
    expect(marked.body).toMatchObject({ dnc: true, dnc_reason: 'asked on call', dnc_by: 'agent Sam' });
    expect(Date.parse(marked.body.dnc_at)).not.toBeNaN();
    const byKey = await h.call('PUT', `/contacts/${c.id}/dnc`, { reason: 'complaint' });
    expect(byKey.body.dnc_by).toMatch(/^api-key:key_/);
    const missing = await h.call('PUT', `/contacts/${c.id}/dnc`, {});
    expect(missing.status).toBe(400);
    expect(missing.body.issues[0].field).toBe('body.reason');
    expect((await h.call('GET', '/contacts?dnc=true')).body.items.map((x: Json) => x.id)).toContain(c.id);
    const cleared = await h.call('DELETE', `/contacts/${c.id}/dnc`);
    expect(cleared.body).toMatchObject({ dnc: false, dnc_at: null, dnc_by: null, dnc_reason: null });
    expect((await h.call('PUT', '/contacts/con_missing/dnc', { reason: 'x' })).status).toBe(404);
  });

  it('filters by tag and list, with totals over all pages', async () => {
    const list = (await h.call('POST', '/lists', { name: 'filter-list' })).body;
    for (let i = 0; i < 5; i++) {
      await newContact(`+1415555010${i}`, {
        tags: i % 2 === 0 ? ['even'] : ['odd'],
        lists: i < 2 ? [list.id] : [],
      });
    }
    const even = await h.call('GET', '/contacts?tag=even&limit=2');
    expect(even.body.total).toBe(3);
    expect(even.body.items).toHaveLength(2);
    const members = await h.call('GET', `/contacts?list=${list.id}`);
    expect(members.body.items.map((x: Json) => x.phone)).toEqual(['+14155550100', '+14155550101']);
    const both = await h.call('GET', `/contacts?list=${list.id}&tag=odd`);
    expect(both.body.items.map((x: Json) => x.phone)).toEqual(['+14155550101']);
    expect((await h.call('GET', '/contacts?colour=red')).status).toBe(400);
  });

  it('drops memberships with the contact', async () => {
    const c = await newContact('+14155550006', { tags: ['gone'] });
    expect((await h.call('DELETE', `/contacts/${c.id}`)).status).toBe(204);
    expect((await h.call('GET', '/contacts?tag=gone')).body.total).toBe(0);
  });
});

describe('ring groups', () => {
  it('keeps members in the order given and replaces them on update', async () => {
    const ids: string[] = [];
    for (const name of ['r1', 'r2', 'r3']) ids.push((await h.call('POST', '/users', { name })).body.id);
    const g = await h.call('POST', '/ring-groups', {
      name: 'support',
      strategy: 'sequential',
      member_timeout_secs: 12,
      members: [{ user_id: ids[2] }, { user_id: ids[0], timeout_secs: 5 }],
    });
    expect(g.status).toBe(201);
    expect(g.body.members).toEqual([
      { user_id: ids[2], position: 0, timeout_secs: null },
      { user_id: ids[0], position: 1, timeout_secs: 5 },
    ]);
    const u = await h.call('PATCH', `/ring-groups/${g.body.id}`, { members: [{ user_id: ids[1] }] });
    expect(u.body.members.map((m: Json) => m.user_id)).toEqual([ids[1]]);
    const dup = await h.call('PATCH', `/ring-groups/${g.body.id}`, {
      members: [{ user_id: ids[1] }, { user_id: ids[1] }],
    });
    expect(dup.status).toBe(400);
    expect(dup.body.issues[0].field).toBe('body.members.1.user_id');
    // Deleting a user takes it out of its groups.
    await h.call('DELETE', `/users/${ids[1]}`);
    expect((await h.call('GET', `/ring-groups/${g.body.id}`)).body.members).toEqual([]);
  });
});
