/**
 * Campaigns end to end on a real `callwright start` (embedded backend) dialling a real sipp UAS that
 * plays every callee (sipp-scenarios/uas-campaign-callees.xml: the number says whether it answers, is
 * busy or rings unanswered). Limits, retries and restarts are measured at the callee, from the INVITEs
 * sipp logged (-trace_msg), never from the server's own counters.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { dataPaths } from '../../../src/config/load.js';
import { Store } from '../../../src/store/store.js';
import { startSipp } from '../../helpers/sipp.js';
import { tempDir, testConfig } from '../../helpers/temp.js';
import {
  api as apiAt,
  apiKey,
  calleeCalls,
  hoursAroundNow,
  maxOverlap,
  seed,
  startCallwright as start,
  until,
  type ContactResult,
  type Progress,
  type Server,
} from './campaign-harness.js';

// Ports of this file: API 53000, SIP 53001, sipp 53011 (media 53012) and 53021 (53022), RTP 53100-53299.
const API_PORT = 53000;
const PORTS = { api: API_PORT, sip: 53001, rtpMin: 53100, rtpMax: 53299 };

const cleanups: Array<() => unknown> = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** `callwright start` with the test's ports, data folder, one trunk to the sipp callees, and calling hours. */
function startCallwright(dataDir: string, sippPort: number, hours: object): Promise<Server> {
  return start(dataDir, PORTS, [{ name: 'carrier', host: '127.0.0.1', port: sippPort }], hours, children);
}

const api = <T>(key: string, method: string, url: string, body?: unknown) =>
  apiAt<T>({ apiUrl: `http://127.0.0.1:${API_PORT}` }, key, method, url, body);

describe('campaigns dialling real callees', () => {
  it('30 contacts: DNC skipped, out-of-hours deferred, busy retried once after 1 s, ≤ 3 concurrent and ≤ 2 calls/s at the callees', async () => {
    const dir = tempDir('callwright-campaign-');
    cleanups.push(dir.cleanup);
    const trace = path.join(dir.dir, 'callees.log');
    const sipp = startSipp({
      scenario: 'uas-campaign-callees.xml',
      localPort: 53011,
      mediaPort: 53012,
      calls: 1000,
      timeoutMs: 120_000,
      extraArgs: ['-trace_msg', '-message_file', trace],
    });
    cleanups.push(() => sipp.kill());
    await sipp.ready;
    const hours = hoursAroundNow();
    const server = await startCallwright(dir.dir, 53011, hours);
    const key = apiKey(server);
    const store = Store.open(dataPaths(testConfig(dir.dir)).database);
    cleanups.push(() => store.close());

    // +44207183 K NNN: K = 1 answers, 2 busy, 3 no answer (the sipp scenario's rule).
    const answer = Array.from({ length: 10 }, (_, i) => `+442071831${String(i).padStart(3, '0')}`);
    const busy = Array.from({ length: 5 }, (_, i) => `+442071832${String(i).padStart(3, '0')}`);
    const noAnswer = Array.from({ length: 5 }, (_, i) => `+442071833${String(i).padStart(3, '0')}`);
    const dnc = Array.from({ length: 5 }, (_, i) => `+442071831${String(100 + i)}`);
    const late = Array.from({ length: 5 }, (_, i) => `+442071831${String(200 + i)}`);
    await seed(store, [
      ...[...answer, ...busy, ...noAnswer].map((phone) => ({ phone })),
      ...dnc.map((phone) => ({ phone, dnc: true })),
      ...late.map((phone) => ({ phone, timezone: 'Etc/GMT-12' })),
    ]);

    const bad = await api<{ code: string; message: string }>(key, 'POST', '/campaigns', {
      name: 'x',
      agent: 'campaigner',
      contacts: { tag: 'autumn' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(
      /contacts\.tag: got "autumn", expected the id or name of an existing tag/,
    );

    const created = await api<Progress & { id: string }>(key, 'POST', '/campaigns', {
      name: 'spring-renewals',
      agent: 'campaigner',
      contacts: { tag: 'spring' },
      calls_per_second: 2,
      max_concurrent: 3,
      ring_timeout_ms: 1000,
      retry: { busy: { delay_s: 1, max_attempts: 2 }, 'no-answer': { delay_s: 0, max_attempts: 1 } },
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    const settled = await until(
      async () => {
        const c = (await api<Progress>(key, 'GET', `/campaigns/${id}`)).body;
        return c.progress.done === 25 && !c.progress.by_status.dialling ? c : undefined;
      },
      60_000,
      '25 contacts done',
    );
    expect(settled.status).toBe('running');
    expect(settled.progress).toEqual({
      total: 30,
      done: 25,
      by_status: { answered: 10, busy: 5, 'no-answer': 5, dnc: 5, pending: 5 },
    });

    const results = (await api<{ items: ContactResult[] }>(key, 'GET', `/campaigns/${id}/contacts?limit=100`))
      .body.items;
    const of = (phone: string): ContactResult => results.find((r) => r.phone === phone)!;
    for (const p of answer) expect(of(p)).toMatchObject({ status: 'answered', attempts: 1 });
    for (const p of noAnswer) expect(of(p)).toMatchObject({ status: 'no-answer', attempts: 1 });
    for (const p of dnc) expect(of(p)).toMatchObject({ status: 'dnc', attempts: 0, history: [] });
    for (const p of busy) {
      const r = of(p);
      expect(r).toMatchObject({ status: 'busy', attempts: 2 });
      expect(r.history.map((h) => h.outcome)).toEqual(['busy', 'busy']);
      const gap = Date.parse(r.history[1]!.claimed_at) - Date.parse(r.history[0]!.ended_at!);
      expect(gap).toBeGreaterThanOrEqual(1000);
    }
    // Deferred to the opening of their calling hours in UTC+12, not failed.
    const opening = Date.parse(`2026-01-01T${hours.start}:00Z`) - 12 * 3600_000;
    const DAY_MIN = 24 * 60;
    for (const p of late) {
      const r = of(p);
      expect(r).toMatchObject({ status: 'pending', attempts: 0 });
      const at = Date.parse(r.next_at!);
      expect(at).toBeGreaterThan(Date.now());
      expect(((((at - opening) / 60_000) % DAY_MIN) + DAY_MIN) % DAY_MIN).toBe(0);
      expect(at - Date.now()).toBeLessThan(24 * 3600_000);
    }

    // At the callees: who was called how often, the rate and the concurrency.
    const calls = calleeCalls(trace);
    const count = (n: string): number => calls.filter((c) => c.number === n).length;
    for (const p of answer) expect(count(p)).toBe(1);
    for (const p of busy) expect(count(p)).toBe(2);
    for (const p of noAnswer) expect(count(p)).toBe(1);
    for (const p of [...dnc, ...late]) expect(count(p)).toBe(0);
    expect(calls).toHaveLength(25);
    expect(calls.every((c) => c.end !== undefined)).toBe(true);
    const times = calls.map((c) => c.invite);
    const windows = times.slice(2).map((t, i) => t - times[i]!);
    expect(Math.min(...windows)).toBeGreaterThanOrEqual(1000);
    const overlap = maxOverlap(calls);
    expect(overlap).toBeLessThanOrEqual(3);
    expect(overlap).toBeGreaterThanOrEqual(2);

    const cancelled = await api<Progress>(key, 'POST', `/campaigns/${id}/cancel`);
    expect(cancelled.body.status).toBe('cancelled');
    expect(cancelled.body.progress.by_status).toMatchObject({ cancelled: 5 });
    expect(cancelled.body.progress.by_status.pending).toBeUndefined();
    const again = await api<{ message: string }>(key, 'POST', `/campaigns/${id}/resume`);
    expect(again.status).toBe(409);
    expect(again.body.message).toMatch(
      /cannot resume campaign spring-renewals: it is cancelled, expected paused/,
    );
  }, 90_000);

  it('pause holds new attempts; a SIGKILL mid-campaign and a restart complete it, no callee called twice for one attempt', async () => {
    const dir = tempDir('callwright-campaign-kill-');
    cleanups.push(dir.cleanup);
    const trace = path.join(dir.dir, 'callees.log');
    const sipp = startSipp({
      scenario: 'uas-campaign-callees.xml',
      localPort: 53021,
      mediaPort: 53022,
      calls: 1000,
      timeoutMs: 120_000,
      extraArgs: ['-trace_msg', '-message_file', trace],
    });
    cleanups.push(() => sipp.kill());
    await sipp.ready;
    const first = await startCallwright(dir.dir, 53021, hoursAroundNow());
    const key = apiKey(first);
    const store = Store.open(dataPaths(testConfig(dir.dir)).database);
    cleanups.push(() => store.close());
    // Four callees that ring unanswered, six that answer, interleaved so calls of both kinds are up
    // when the process is killed.
    const ringing = Array.from({ length: 4 }, (_, i) => `+442071833${String(300 + i)}`);
    const answering = Array.from({ length: 6 }, (_, i) => `+442071831${String(300 + i)}`);
    const numbers = [...ringing.flatMap((r, i) => [r, answering[i]!]), ...answering.slice(4)];
    await seed(
      store,
      numbers.map((phone) => ({ phone })),
    );
    const created = await api<{ id: string }>(key, 'POST', '/campaigns', {
      name: 'restart',
      agent: 'campaigner',
      contacts: { tag: 'spring' },
      calls_per_second: 2,
      max_concurrent: 3,
      ring_timeout_ms: 2500,
      retry: { failed: { delay_s: 0, max_attempts: 3 } },
    });
    const id = created.body.id;
    const attemptsStored = (): number =>
      (
        store.db.prepare('SELECT COUNT(*) AS n FROM campaign_attempts WHERE campaign_id = ?').get(id) as {
          n: number;
        }
      ).n;

    // Paused: nothing new is claimed or dialled; resumed: it goes on.
    await until(() => attemptsStored() >= 2, 10_000, 'two attempts');
    expect((await api<Progress>(key, 'POST', `/campaigns/${id}/pause`)).body.status).toBe('paused');
    const atPause = attemptsStored();
    await new Promise((r) => setTimeout(r, 1200));
    expect(attemptsStored()).toBe(atPause);
    expect((await api<Progress>(key, 'POST', `/campaigns/${id}/resume`)).body.status).toBe('running');

    // Killed while attempts are in flight, one of them a call still ringing at the callee.
    const ringingAttempt = (): { id: string; contact_id: string } | undefined =>
      store.db
        .prepare(
          `SELECT a.id, a.contact_id FROM campaign_attempts a JOIN calls c ON c.id = a.call_id
           WHERE a.campaign_id = ? AND a.status = 'dialling' AND c.state = 'ringing'
             AND c.to_number LIKE '+442071833%' AND c.started_at < ?`,
        )
        .get(id, new Date(Date.now() - 300).toISOString()) as { id: string; contact_id: string } | undefined;
    const cut = await until(() => ringingAttempt(), 15_000, 'a claimed attempt ringing at the callee');
    first.child.kill('SIGKILL');
    await first.exited;
    const open = store.db
      .prepare(`SELECT id, contact_id FROM campaign_attempts WHERE status = 'dialling'`)
      .all() as Array<{ id: string; contact_id: string }>;
    expect(open.map((o) => o.id)).toContain(cut.id);

    await startCallwright(dir.dir, 53021, hoursAroundNow());
    const done = await until(
      async () => {
        const c = (await api<Progress>(key, 'GET', `/campaigns/${id}`)).body;
        return c.status === 'completed' ? c : undefined;
      },
      40_000,
      'the campaign to complete after the restart',
    );
    expect(done.progress).toMatchObject({ total: 10, done: 10 });
    const results = (await api<{ items: ContactResult[] }>(key, 'GET', `/campaigns/${id}/contacts`)).body
      .items;
    // Each attempt left open by the kill was resolved once, from its call row (which the restart
    // closed: ringing → failed, answered → completed); the ringing one was retried as a new attempt.
    for (const a of open) {
      const row = store.db
        .prepare('SELECT status, outcome FROM campaign_attempts WHERE id = ?')
        .get(a.id) as {
        status: string;
        outcome: string;
      };
      expect(row.status).toBe('ended');
      expect(['answered', 'failed']).toContain(row.outcome);
    }
    const calls = calleeCalls(trace);
    const cutPhone = (await store.contacts.get(cut.contact_id))!.phone;
    const cutResult = results.find((r) => r.phone === cutPhone)!;
    expect(cutResult.history.map((h) => h.outcome)).toEqual(['failed', 'no-answer']);
    expect(cutResult.history[0]!.reason).toMatch(/server-restart/);
    expect(calls.filter((c) => c.number === cutResult.phone)).toHaveLength(2);
    const cutOpen = new Set(open.map((o) => o.contact_id));
    for (const p of numbers) {
      const r = results.find((x) => x.phone === p)!;
      expect(r.status).toBe(ringing.includes(p) ? 'no-answer' : 'answered');
      expect(r.history.map((h) => h.attempt)).toEqual(Array.from({ length: r.attempts }, (_, i) => i + 1));
      // At most one INVITE (one Call-ID) at the callee per attempt; exactly one where no kill came between.
      const invites = calls.filter((c) => c.number === p).length;
      const contactId = (await store.contacts.findBy('phone', p))!.id;
      if (cutOpen.has(contactId)) expect(invites).toBeLessThanOrEqual(r.attempts);
      else expect(invites).toBe(r.attempts);
    }
    const times = calls.map((c) => c.invite);
    expect(Math.min(...times.slice(2).map((t, i) => t - times[i]!))).toBeGreaterThanOrEqual(1000);
  }, 90_000);
});
