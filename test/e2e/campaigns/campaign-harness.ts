/**
 * What the campaign end-to-end tests share: a real `callwright start` (embedded backend) with a trunk
 * to a sipp UAS that plays every callee (sipp-scenarios/uas-campaign-callees.xml), and the reading of
 * sipp's message log (-trace_msg): what the callees saw is measured there, never from the server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { PROJECT_ROOT } from '../../../src/config/load.js';
import type { Store } from '../../../src/store/store.js';

export async function until<T>(
  check: () => T | undefined | Promise<T | undefined>,
  ms: number,
  what: string,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface Server {
  child: ChildProcess;
  exited: Promise<unknown>;
  output: () => string;
  apiUrl: string;
}

export interface ServerPorts {
  api: number;
  sip: number;
  rtpMin: number;
  rtpMax: number;
}

/**
 * `callwright start` with the test's ports and data folder, `trunks` (JSON for CALLWRIGHT_SIP_TRUNKS)
 * and calling hours. The child is pushed on `children` for the test's cleanup.
 */
export async function startCallwright(
  dataDir: string,
  ports: ServerPorts,
  trunks: object[],
  hours: object,
  children: ChildProcess[],
): Promise<Server> {
  const child = spawn(process.execPath, ['src/cli/callwright.mjs', 'start'], {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      CALLWRIGHT_DATA_DIR: dataDir,
      CALLWRIGHT_API_PORT: String(ports.api),
      CALLWRIGHT_SIP_PORT: String(ports.sip),
      CALLWRIGHT_SIP_ADDRESS: '127.0.0.1',
      CALLWRIGHT_MEDIA_ADDRESS: '127.0.0.1',
      CALLWRIGHT_MEDIA_ADVERTISED_ADDRESS: '127.0.0.1',
      CALLWRIGHT_MEDIA_RTP_PORT_MIN: String(ports.rtpMin),
      CALLWRIGHT_MEDIA_RTP_PORT_MAX: String(ports.rtpMax),
      CALLWRIGHT_SIP_TRUNKS: JSON.stringify(trunks),
      CALLWRIGHT_CALLS_DEFAULT_TIMEZONE: 'UTC',
      CALLWRIGHT_CALLS_CALLING_HOURS: JSON.stringify(hours),
      CALLWRIGHT_LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  await until(() => out.includes('admin API listening on'), 40_000, 'callwright to start');
  return { child, exited, output: () => out, apiUrl: `http://127.0.0.1:${ports.api}` };
}

/** Calling hours that hold now in UTC (two hours either side), so UTC+12 is outside them. */
export function hoursAroundNow(): { days: string[]; start: string; end: string } {
  const clock = (ms: number): string => new Date(ms).toISOString().slice(11, 16);
  return {
    days: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'],
    start: clock(Date.now() - 2 * 3600_000),
    end: clock(Date.now() + 2 * 3600_000),
  };
}

export interface Callee {
  callId: string;
  number: string;
  invite: number;
  /** When the call ended for the callee: BYE or CANCEL received, or 486 sent. */
  end: number | undefined;
}

/** The calls sipp saw, from its -trace_msg log: one entry per Call-ID (INVITE retransmissions folded). */
export function calleeCalls(file: string): Callee[] {
  const text = readFileSync(file, 'utf8');
  const calls = new Map<string, Callee>();
  const blocks = text.split(/^-{10,}\s+/m).slice(1);
  for (const b of blocks) {
    const m =
      /^(\d{4}-\d\d-\d\d)\s+(\d\d:\d\d:\d\d)\.(\d+)\s*\n(?:UDP|TCP) message (received|sent)[^\n]*\n\s*\n([^\n]*)/.exec(
        b,
      );
    if (!m) continue;
    const t = new Date(`${m[1]}T${m[2]}Z`).getTime() + Number(m[3]!.slice(0, 3).padEnd(3, '0'));
    const dir = m[4];
    const first = m[5]!.trim();
    const callId = /^Call-ID:\s*(\S+)/im.exec(b)?.[1];
    if (!callId) continue;
    if (dir === 'received' && first.startsWith('INVITE ')) {
      if (!calls.has(callId))
        calls.set(callId, {
          callId,
          number: /^INVITE sip:([^@;]+)/.exec(first)?.[1] ?? '',
          invite: t,
          end: undefined,
        });
      continue;
    }
    const c = calls.get(callId);
    if (!c || c.end !== undefined) continue;
    if (
      (dir === 'received' && /^(BYE|CANCEL) /.test(first)) ||
      (dir === 'sent' && /^SIP\/2\.0 486/.test(first))
    )
      c.end = t;
  }
  return [...calls.values()].sort((a, b) => a.invite - b.invite);
}

/** The most calls up at once at the callees (an INVITE opens one, its BYE, CANCEL or 486 closes it). */
export function maxOverlap(calls: Callee[]): number {
  const edges = calls.flatMap((c) => [
    { t: c.invite, d: 1 },
    { t: c.end ?? Number.MAX_SAFE_INTEGER, d: -1 },
  ]);
  edges.sort((a, b) => a.t - b.t || a.d - b.d);
  let now = 0;
  let max = 0;
  for (const e of edges) max = Math.max(max, (now += e.d));
  return max;
}

/** The most INVITEs the callees received within any one second (a window [t, t + 1000 ms)). */
export function maxPerSecond(calls: Callee[]): number {
  const times = calls.map((c) => c.invite).sort((a, b) => a - b);
  let max = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i]! - times[j]! >= 1000) j++;
    max = Math.max(max, i - j + 1);
  }
  return max;
}

export async function api<T>(
  server: { apiUrl: string },
  key: string,
  method: string,
  url: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${server.apiUrl}${url}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as T };
}

export interface Progress {
  status: string;
  progress: { total: number; done: number; by_status: Record<string, number> };
}

export interface ContactResult {
  phone: string;
  status: string;
  attempts: number;
  next_at: string | null;
  reason: string | null;
  history: Array<{
    attempt: number;
    outcome: string | null;
    status: string;
    claimed_at: string;
    ended_at: string | null;
    reason: string | null;
  }>;
}

/**
 * A scripted agent that listens 1.5 s, then hangs up (answered calls overlap, so the limits are
 * exercised), and the contacts, tagged `tag`.
 */
export async function seed(
  store: Store,
  numbers: Array<{ phone: string; timezone?: string; dnc?: boolean }>,
  tag = 'spring',
): Promise<void> {
  if (!(await store.agents.byIdOrName('campaigner')))
    await store.agents.create({
      name: 'campaigner',
      kind: 'scripted',
      config: { steps: [{ gather: { input: 'dtmf', timeout_ms: 1500 } }, { hangup: true }] },
    });
  for (const n of numbers) {
    const c =
      (await store.contacts.findBy('phone', n.phone)) ??
      (await store.contacts.create({
        phone: n.phone,
        timezone: n.timezone ?? '',
        ...(n.dnc
          ? { dnc: true, dnc_at: new Date().toISOString(), dnc_reason: 'asked not to be called' }
          : {}),
      }));
    await store.contacts.addTag(c.id, tag);
  }
}

export function apiKey(server: Server): string {
  return /API key: (\S+)/.exec(server.output())![1]!;
}
