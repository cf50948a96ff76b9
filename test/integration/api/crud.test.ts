import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiHarness, type ApiHarness, type Json } from './harness.js';

const WEBHOOK_SECRET = 'whsec_' + Buffer.from('0123456789abcdef0123456789abcdef').toString('base64');
let h: ApiHarness;
let agentId: string;
let userId: string;
beforeAll(async () => {
  h = await apiHarness();
  agentId = (await h.call('POST', '/agents', { name: 'front-desk', kind: 'scripted' })).body.id;
  userId = (await h.call('POST', '/users', { name: 'Alice Owner', phone: '+14155550111' })).body.id;
});
afterAll(async () => h.close());

interface Case {
  path: string;
  /** A valid create body; `n` makes unique fields unique. */
  good: (n: number) => Json;
  /** An invalid create body and the field the 400 must name. */
  bad: [Json, string];
  patch: [Json, (record: Json) => void];
  badPatch: [Json, string];
  /** The field whose reuse gives a 409 (absent for resources without a unique key). */
  unique?: string;
}

const cases: Case[] = [
  {
    path: '/agents',
    good: (n) => ({
      name: `agent-${n}`,
      kind: 'webhook',
      config: { url: 'https://example.com/turn', secret: WEBHOOK_SECRET },
      targets: { sales: { type: 'number', number: '+14155550100' }, owner: { type: 'user', id: userId } },
    }),
    bad: [{ name: 'x', kind: 'robot' }, 'body.kind'],
    patch: [
      { description: 'answers the front desk' },
      (r) => expect(r.description).toBe('answers the front desk'),
    ],
    badPatch: [{ targets: { desk: { type: 'line', id: 'lin_missing' } } }, 'body.targets.desk.id'],
    unique: 'name',
  },
  {
    path: '/lists',
    good: (n) => ({ name: `list-${n}`, description: 'spring campaign' }),
    bad: [{ description: 'no name' }, 'body.name'],
    patch: [{ description: 'autumn' }, (r) => expect(r.description).toBe('autumn')],
    badPatch: [{ name: '' }, 'body.name'],
    unique: 'name',
  },
  {
    path: '/tags',
    good: (n) => ({ name: `tag-${n}` }),
    bad: [{ name: 'a,b' }, 'body.name'],
    patch: [{ name: 'renamed-tag' }, (r) => expect(r.name).toBe('renamed-tag')],
    badPatch: [{ colour: 'red' }, 'body.colour'],
    unique: 'name',
  },
  {
    path: '/dispositions',
    good: (n) => ({ scope: 'call', code: `sold-${n}`, label: 'Sold' }),
    bad: [{ scope: 'campaign', code: 'x', label: 'X' }, 'body.scope'],
    patch: [{ label: 'Sale made' }, (r) => expect(r.label).toBe('Sale made')],
    badPatch: [{ code: 'has space' }, 'body.code'],
    unique: 'code',
  },
  {
    path: '/users',
    good: (n) => ({
      name: `user-${n}`,
      phone: '+442071838750',
      sip_uri: 'sip:bob@pbx.example.com',
      timezone: 'Europe/London',
      working_hours: { mon: [{ start: '09:00', end: '17:30' }] },
      slot_minutes: 45,
    }),
    bad: [{ name: 'u', timezone: 'Mars/Olympus' }, 'body.timezone'],
    patch: [{ slot_minutes: 15 }, (r) => expect(r.slot_minutes).toBe(15)],
    badPatch: [
      { working_hours: { tue: [{ start: '18:00', end: '09:00' }] } },
      'body.working_hours.tue.0.end',
    ],
    unique: 'name',
  },
  {
    path: '/lines',
    good: (n) => ({ name: `line-${n}`, target: 'sip:reception@pbx.example.com' }),
    bad: [{ name: 'l', target: 'reception' }, 'body.target'],
    patch: [{ target: '+14155550199' }, (r) => expect(r.target).toBe('+14155550199')],
    badPatch: [{ target: '555-0199' }, 'body.target'],
    unique: 'name',
  },
  {
    path: '/numbers',
    good: (n) => ({ number: `+1415555${String(1000 + n)}`, agent_id: agentId }),
    bad: [{ number: '4155550100', agent_id: 'agt_x' }, 'body.number'],
    patch: [{ description: 'main DID' }, (r) => expect(r.description).toBe('main DID')],
    badPatch: [{ agent_id: 'agt_missing' }, 'body.agent_id'],
    unique: 'number',
  },
  {
    path: '/ring-groups',
    good: (n) => ({
      name: `group-${n}`,
      strategy: 'sequential',
      members: [{ user_id: userId, timeout_secs: 15 }],
    }),
    bad: [{ name: 'g', strategy: 'random' }, 'body.strategy'],
    patch: [{ member_timeout_secs: 30 }, (r) => expect(r.member_timeout_secs).toBe(30)],
    badPatch: [{ members: [{ user_id: 'usr_nobody' }] }, 'body.members.0.user_id'],
    unique: 'name',
  },
  {
    path: '/contacts',
    good: (n) => ({ phone: `+3314455${String(1000 + n)}`, first_name: 'Ana', timezone: 'Europe/Paris' }),
    bad: [{ phone: '06 12 34 56 78' }, 'body.phone'],
    patch: [{ properties: { plan: 'gold' } }, (r) => expect(r.properties).toEqual({ plan: 'gold' })],
    badPatch: [{ email: 'not-an-email' }, 'body.email'],
    unique: 'phone',
  },
];

describe.each(cases)('$path', (c) => {
  it('creates, reads, updates, pages and deletes', async () => {
    const created = await h.call('POST', c.path, c.good(1));
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.id as string;

    const got = await h.call('GET', `${c.path}/${id}`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual(created.body);

    const patched = await h.call('PATCH', `${c.path}/${id}`, c.patch[0]);
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    c.patch[1](patched.body);

    for (const n of [2, 3]) expect((await h.call('POST', c.path, c.good(n))).status).toBe(201);
    const page = await h.call('GET', `${c.path}?limit=2&offset=1`);
    expect(page.status).toBe(200);
    expect(page.body.limit).toBe(2);
    expect(page.body.offset).toBe(1);
    expect(page.body.items).toHaveLength(2);
    expect(page.body.total).toBeGreaterThanOrEqual(3);

    expect((await h.call('DELETE', `${c.path}/${id}`)).status).toBe(204);
    expect((await h.call('GET', `${c.path}/${id}`)).status).toBe(404);
  });

  it('refuses a bad create body with 400 naming the field', async () => {
    const res = await h.call('POST', c.path, c.bad[0]);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('VALIDATION');
    expect(res.body.issues.map((i: Json) => i.field)).toContain(c.bad[1]);
    expect(res.body.message).toContain(c.bad[1]);
  });

  it('refuses a bad update body with 400 naming the field', async () => {
    const created = await h.call('POST', c.path, c.good(10));
    const res = await h.call('PATCH', `${c.path}/${created.body.id}`, c.badPatch[0]);
    expect(res.status).toBe(400);
    expect(res.body.issues.map((i: Json) => i.field)).toContain(c.badPatch[1]);
  });

  it('refuses an unknown field', async () => {
    const res = await h.call('POST', c.path, { ...c.good(20), surprise: 1 });
    expect(res.status).toBe(400);
    expect(res.body.issues).toContainEqual({
      field: 'body.surprise',
      value: 1,
      expected: 'no such field (unknown)',
    });
  });

  it('answers 404 for an unknown id on get, update and delete', async () => {
    for (const [method, body] of [
      ['GET', undefined],
      ['PATCH', c.patch[0]],
      ['DELETE', undefined],
    ] as const) {
      const res = await h.call(method, `${c.path}/nope_0000`, body);
      expect(res.status, method).toBe(404);
      expect(res.body.code).toBe('NOT_FOUND');
    }
  });

  it('answers 409 naming the field when a unique value is reused', async () => {
    const body = c.good(30);
    expect((await h.call('POST', c.path, body)).status).toBe(201);
    const res = await h.call('POST', c.path, body);
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('CONFLICT');
    expect(res.body.issues[0].field).toBe(`body.${c.unique}`);
  });

  it('refuses bad paging parameters', async () => {
    const res = await h.call('GET', `${c.path}?limit=0`);
    expect(res.status).toBe(400);
    expect(res.body.issues[0].field).toBe('query.limit');
    expect((await h.call('GET', `${c.path}?offset=-1`)).status).toBe(400);
    expect((await h.call('GET', `${c.path}?limit=501`)).status).toBe(400);
  });
});

describe('list filters', () => {
  it('filters agents by kind, numbers by agent and dispositions by scope, refusing bad values', async () => {
    const kinds = (await h.call('GET', '/agents?kind=scripted&limit=500')).body.items.map(
      (a: Json) => a.kind,
    );
    expect(kinds.length).toBeGreaterThan(0);
    expect(new Set(kinds)).toEqual(new Set(['scripted']));
    const other = (await h.call('POST', '/agents', { name: 'filter-agent', kind: 'scripted' })).body.id;
    await h.call('POST', '/numbers', { number: '+14155559999', agent_id: other });
    const numbers = await h.call('GET', `/numbers?agent_id=${other}`);
    expect(numbers.body).toMatchObject({ total: 1, items: [{ number: '+14155559999' }] });
    await h.call('POST', '/dispositions', { scope: 'contact', code: 'callback', label: 'Call back' });
    const scoped = await h.call('GET', '/dispositions?scope=contact');
    expect(scoped.body.items.every((d: Json) => d.scope === 'contact')).toBe(true);
    expect(scoped.body.total).toBeGreaterThan(0);
    const bad = await h.call('GET', '/agents?kind=robot');
    expect(bad.status).toBe(400);
    expect(bad.body.issues[0]).toMatchObject({ field: 'query.kind', value: 'robot' });
  });
});

describe('agent configs are checked for their kind', () => {
  it('refuses a scripted agent whose script is invalid, naming the field', async () => {
    const res = await h.call('POST', '/agents', {
      name: 'bad-script',
      kind: 'scripted',
      config: { steps: [{ gather: { timeout_ms: 'soon' } }] },
    });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.issues)).toContain('body.config');
  });

  it('refuses a webhook agent without a URL, and a PATCH that breaks an existing config', async () => {
    const bad = await h.call('POST', '/agents', { name: 'bad-hook', kind: 'webhook', config: {} });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body.issues)).toContain('body.config');
    const good = await h.call('POST', '/agents', {
      name: 'good-hook',
      kind: 'webhook',
      config: { url: 'https://example.com/turn', secret: WEBHOOK_SECRET },
    });
    expect(good.status).toBe(201);
    const patch = await h.call('PATCH', `/agents/${good.body.id}`, {
      config: { url: 42, secret: WEBHOOK_SECRET },
    });
    expect(patch.status).toBe(400);
    expect(JSON.stringify(patch.body.issues)).toContain('body.config');
  });
});
