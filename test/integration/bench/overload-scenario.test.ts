/**
 * bench/overload-uac.xml is bench:overload's caller. A refused call must be a 503 carrying Retry-After
 * (RFC 3261 §21.5.4, §20.33), ACKed in the INVITE's own transaction (RFC 3261 §17.1.1.3: the ACK of a
 * non-2xx answer has the INVITE's branch, else the server keeps retransmitting the 503 until Timer H);
 * an answered call counts only when its BYE gets its own 200. The far end is a scripted UDP UAS.
 * Ports for this file: 48580-48599.
 */
import dgram from 'node:dgram';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runSipp, sippFailure } from '../../helpers/sipp.js';

const SCENARIO = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../bench/overload-uac.xml',
);
const BASE = 48580;
const work = mkdtempSync(path.join(tmpdir(), 'overload-scenario-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

type Answer = '503 with Retry-After' | '503 without Retry-After' | '200';

function header(msg: string, name: string): string[] {
  return [...msg.matchAll(new RegExp(`^${name}\\s*:\\s*(.*)$`, 'gim'))].map((m) => m[1]!.trim());
}
const branch = (msg: string): string => /branch=([^;\s]+)/.exec(header(msg, 'Via')[0] ?? '')?.[1] ?? '';

async function uas(port: number, answer: Answer) {
  const socket = dgram.createSocket('udp4');
  const seen = { inviteBranches: [] as string[], ackBranches: [] as string[], byes: 0 };
  socket.on('message', (data, rinfo) => {
    const msg = data.toString();
    const method = /^(\w+) /.exec(msg)?.[1];
    if (method === 'ACK') seen.ackBranches.push(branch(msg));
    if (!method || method === 'SIP/2.0' || method === 'ACK') return;
    if (method === 'INVITE') seen.inviteBranches.push(branch(msg));
    if (method === 'BYE') seen.byes++;
    const status = method === 'INVITE' && answer !== '200' ? '503 Service Unavailable' : '200 OK';
    const body =
      method === 'INVITE' && answer === '200'
        ? 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 48599 RTP/AVP 0\r\n'
        : '';
    const reply = [
      `SIP/2.0 ${status}`,
      ...header(msg, 'Via').map((v) => `Via: ${v}`),
      `From: ${header(msg, 'From')[0]}`,
      `To: ${header(msg, 'To')[0]}${/;tag=/.test(header(msg, 'To')[0] ?? '') ? '' : ';tag=uas1'}`,
      `Call-ID: ${header(msg, 'Call-ID')[0]}`,
      `CSeq: ${header(msg, 'CSeq')[0]}`,
      `Contact: <sip:uas@127.0.0.1:${port}>`,
      ...(answer === '503 with Retry-After' && method === 'INVITE' ? ['Retry-After: 5'] : []),
      ...(body ? ['Content-Type: application/sdp'] : []),
      `Content-Length: ${Buffer.byteLength(body)}`,
      '',
      body,
    ].join('\r\n');
    socket.send(reply, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => socket.bind(port, '127.0.0.1', resolve));
  return { seen, close: () => new Promise<void>((r) => socket.close(() => r())) };
}

async function run(answer: Answer, i: number) {
  const far = await uas(BASE + 2 * i, answer);
  const cwd = mkdtempSync(path.join(work, 'run-'));
  try {
    const result = await runSipp({
      scenario: SCENARIO,
      cwd,
      remote: `127.0.0.1:${BASE + 2 * i}`,
      service: '1000',
      localPort: BASE + 2 * i + 1,
      mediaPort: BASE + 10 + 2 * i,
      calls: 3,
      rate: 10,
      extraArgs: ['-d', '100', '-trace_counts'],
      timeoutMs: 15_000,
    });
    const countsFile = readdirSync(cwd).find((f) => f.endsWith('_counts.csv'));
    const rows = countsFile ? readFileSync(path.join(cwd, countsFile), 'utf8').trim().split('\n') : [];
    const names = rows[0]?.split(';') ?? [];
    const last = rows.at(-1)?.split(';') ?? [];
    const count = (name: string): number => Number(last[names.indexOf(name)] ?? NaN);
    return { result, seen: far.seen, count };
  } finally {
    await far.close();
  }
}

describe('bench/overload-uac.xml', () => {
  it('counts a 503 with Retry-After as refused and ACKs it in the INVITE transaction', async () => {
    const { result, seen, count } = await run('503 with Retry-After', 0);
    expect(result.code, sippFailure(result)).toBe(0);
    expect(count('3_503_Recv')).toBe(3);
    expect(count('8_200_Recv')).toBe(0);
    expect(seen.byes).toBe(0);
    expect(seen.ackBranches.sort()).toEqual(seen.inviteBranches.sort());
  });

  it('fails a call refused with a 503 that carries no Retry-After', async () => {
    const { result } = await run('503 without Retry-After', 1);
    expect(result.code).not.toBe(0);
    expect(result.stdout).toMatch(/Failed call\s*\|\s*\d+\s*\|\s*3\b/);
  });

  it("counts an answered call once its BYE got the BYE's own 200", async () => {
    const { result, seen, count } = await run('200', 2);
    expect(result.code, sippFailure(result)).toBe(0);
    expect(count('8_200_Recv')).toBe(3);
    expect(count('3_503_Recv')).toBe(0);
    expect(seen.byes).toBe(3);
  });
});
