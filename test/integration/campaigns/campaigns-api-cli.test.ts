/**
 * The campaign API's validation and controls, and `callwright campaigns …` against it over real HTTP
 * (no telephony here: the runner is not running, so contacts stay pending).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiHarness, type ApiHarness } from '../api/harness.js';
import { cliHarness } from '../cli/cli-harness.js';
import { progressLine } from '../../../src/cli/commands/campaigns.js';
import {
  afterAttempt,
  attemptOutcomeOf,
  nextCallingHoursOpening,
} from '../../../src/campaigns/attempt-outcome.js';
import type { CallRecord } from '../../../src/store/store.js';

const PORT = 53050;
let h: ApiHarness;
let cli: ReturnType<typeof cliHarness>;
let url: string;

beforeAll(async () => {
  h = await apiHarness();
  await h.app.listen({ host: '127.0.0.1', port: PORT });
  url = `http://127.0.0.1:${PORT}`;
  cli = cliHarness();
  await h.store.agents.create({
    name: 'collector',
    kind: 'scripted',
    config: { steps: [{ hangup: true }] },
  });
  const vip = await h.store.lists.create({ name: 'vip' });
  for (let i = 0; i < 4; i++) {
    const c = await h.store.contacts.create({ phone: `+44207183100${i}` });
    await h.store.contacts.setTags(c.id, ['q3']);
    if (i < 2) await h.store.contacts.setLists(c.id, [vip.id]);
  }
});
afterAll(async () => {
  await h.close();
  cli.cleanup();
});

describe('campaign API', () => {
  it.each([
    [
      { name: 'a', agent: 'nobody', contacts: { tag: 'q3' } },
      /agent: got "nobody", expected the id or name of an existing agent/,
    ],
    [
      { name: 'a', agent: 'collector', contacts: { list: 'none' } },
      /contacts\.list: got "none", expected the id or name of an existing list/,
    ],
    [{ name: 'a', agent: 'collector', contacts: {} }, /contacts: the campaign has no contacts to call/],
    [
      { name: 'a', agent: 'collector', contacts: { tag: 'q3' }, trunk: 'carier' },
      /trunk: got "carier", expected one of the configured trunks/,
    ],
    [
      {
        name: 'a',
        agent: 'collector',
        contacts: { tag: 'q3' },
        start_at: '2030-01-02T00:00:00Z',
        end_by: '2030-01-01T00:00:00Z',
      },
      /end_by: got 2030-01-01T00:00:00Z, expected a time after start_at/,
    ],
    [
      {
        name: 'a',
        agent: 'collector',
        contacts: { tag: 'q3' },
        retry: { busy: { delay_s: 1, max_attempts: 0 } },
      },
      /max_attempts/,
    ],
    [{ name: 'a', agent: 'collector', contacts: { tag: 'q3' }, max_concurrent: 0 }, /max_concurrent/],
    [
      { name: 'a', agent: 'collector', contacts: { tag: 'q3' }, end_by: '2020-01-01T00:00:00Z' },
      /end_by: got 2020-01-01T00:00:00Z, expected a time in the future/,
    ],
  ])('refuses %j with a message naming the field', async (body, message) => {
    const res = await h.call('POST', '/campaigns', body);
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(message);
  });

  it('a list and a tag are merged without repeats; progress counts them', async () => {
    const res = await h.call('POST', '/campaigns', {
      name: 'merged',
      agent: 'collector',
      contacts: { list: 'vip', tag: 'q3' },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      status: 'running',
      progress: { total: 4, done: 0, by_status: { pending: 4 } },
    });
    const dup = await h.call('POST', '/campaigns', {
      name: 'merged',
      agent: 'collector',
      contacts: { tag: 'q3' },
    });
    expect(dup.status).toBe(409);
  });
});

describe('callwright campaigns', () => {
  const run = (...args: string[]) => cli.run('campaigns', '--api-url', url, '--api-key', h.token, ...args);

  it('creates from a file and flags, lists, shows, pauses, resumes and cancels', async () => {
    const file = path.join(cli.dir, 'campaign.yaml');
    writeFileSync(
      file,
      'name: from-file\nagent: collector\ncontacts:\n  list: vip\nretry:\n  busy: { delay_s: 60, max_attempts: 3 }\n',
    );
    const created = await run('create', '--file', file, '--cps', '0.5', '--retry', 'no-answer=120:2');
    expect(created.code, created.err.join('\n')).toBe(0);
    expect(created.out[0]).toMatch(/^cmp_\S+\tfrom-file\trunning\t0\/2 done\tpending 2$/);
    const stored = (await h.call('GET', '/campaigns/from-file')).body;
    expect(stored).toMatchObject({
      calls_per_second: 0.5,
      retry: { busy: { delay_s: 60, max_attempts: 3 }, 'no-answer': { delay_s: 120, max_attempts: 2 } },
    });

    const list = await run('list');
    expect(list.out.map((l) => l.split('\t')[1])).toEqual(expect.arrayContaining(['from-file', 'merged']));
    const show = await run('show', 'from-file', '--contacts');
    expect(show.out[1]).toBe('0/2 done');
    expect(show.out.slice(3).map((l) => l.split('\t').slice(0, 3).join(' '))).toEqual([
      '+442071831000 pending 0',
      '+442071831001 pending 0',
    ]);
    expect((await run('pause', 'from-file')).out[0]).toMatch(/\tpaused\t/);
    const paused = await run('pause', 'from-file');
    expect(paused.code).toBe(1);
    expect(paused.err.join('\n')).toMatch(/cannot pause campaign from-file: it is paused, expected running/);
    expect((await run('resume', 'from-file')).out[0]).toMatch(/\trunning\t/);
    expect((await run('cancel', 'from-file')).out[0]).toMatch(/\tcancelled\t2\/2 done\tcancelled 2$/);

    const bad = await run(
      'create',
      '--name',
      'x',
      '--agent',
      'collector',
      '--tag',
      'q3',
      '--retry',
      'busy=soon',
    );
    expect(bad.code).toBe(1);
    expect(bad.err.join('\n')).toMatch(/--retry: got "busy=soon", expected outcome=delay_s:max_attempts/);
  });

  it('draws a progress bar on a terminal', () => {
    expect(progressLine({ total: 20, done: 9, by_status: {} }, true, 20)).toBe(
      '[#########-----------]  45% 9/20',
    );
    expect(progressLine({ total: 20, done: 9, by_status: {} }, false)).toBe('9/20 done');
  });
});

describe('calling hours opening', () => {
  const hours = { days: ['mon', 'tue', 'wed', 'thu', 'fri'] as Array<'mon'>, start: '09:00', end: '20:00' };
  it.each([
    ['2026-12-05T12:00:00Z', 'Europe/Paris', '2026-12-07T08:00:00.000Z'], // Saturday → Monday 09:00 Paris
    ['2026-12-07T06:30:00Z', 'UTC', '2026-12-07T09:00:00.000Z'],
    ['2026-12-07T10:00:00Z', 'America/New_York', '2026-12-07T14:00:00.000Z'],
    ['2026-12-07T10:00:00Z', 'UTC', '2026-12-07T10:00:00.000Z'],
  ])('at %s in %s hours open at %s', (now, tz, at) => {
    expect(nextCallingHoursOpening(new Date(now), tz, hours)?.toISOString()).toBe(at);
  });
  it.each([
    ['09:07', '09:12', '2026-12-07T09:07:00.000Z'], // five minutes, between two 15-minute steps
    ['23:58', '00:03', '2026-12-07T23:58:00.000Z'], // spans midnight: two short parts
  ])('finds a short window %s-%s', (start, end, at) => {
    const short = { ...hours, start, end };
    expect(nextCallingHoursOpening(new Date('2026-12-07T08:00:30Z'), 'UTC', short)?.toISOString()).toBe(at);
  });
  it('never, when no day is a calling day', () => {
    expect(nextCallingHoursOpening(new Date(), 'UTC', { ...hours, days: [] })).toBeNull();
  });
});

describe('attempt outcomes and retries', () => {
  it.each([
    [{ outcome: 'completed', end_reason: 'normal', amd: null }, 'answered'],
    [{ outcome: 'completed', end_reason: 'voicemail-left', amd: { outcome: 'machine-ready' } }, 'machine'],
    [{ outcome: 'completed', end_reason: 'machine', amd: null }, 'machine'],
    [{ outcome: 'busy', end_reason: 'busy', amd: null }, 'busy'],
    [{ outcome: 'no-answer', end_reason: 'no-answer', amd: null }, 'no-answer'],
    [{ outcome: 'rejected', end_reason: 'rejected', amd: null }, 'failed'],
    [{ outcome: 'failed', end_reason: 'server-restart', amd: null }, 'failed'],
  ])('a call ended %j counts as %s', (call, outcome) => {
    expect(attemptOutcomeOf(call as unknown as CallRecord).outcome).toBe(outcome);
  });

  it('a voicemail left is final: a machine retry rule would leave a second one', () => {
    const left = { outcome: 'completed', end_reason: 'voicemail-left', amd: { outcome: 'machine-ready' } };
    expect(attemptOutcomeOf(left as unknown as CallRecord)).toMatchObject({
      outcome: 'machine',
      final: true,
    });
    const hungUp = { outcome: 'completed', end_reason: 'machine', amd: { outcome: 'machine-ready' } };
    expect(attemptOutcomeOf(hungUp as unknown as CallRecord).final).toBeUndefined();
  });

  it('retries while max_attempts allows, after delay_s; answered is final', () => {
    const policy = { busy: { delay_s: 30, max_attempts: 2 } };
    const now = new Date('2026-12-07T10:00:00Z');
    expect(afterAttempt(policy, 'busy', 1, now)).toEqual({
      status: 'pending',
      retryAt: '2026-12-07T10:00:30.000Z',
    });
    expect(afterAttempt(policy, 'busy', 2, now)).toEqual({ status: 'busy', retryAt: null });
    expect(afterAttempt(policy, 'no-answer', 1, now)).toEqual({ status: 'no-answer', retryAt: null });
    expect(afterAttempt(policy, 'answered', 1, now)).toEqual({ status: 'answered', retryAt: null });
  });
});
