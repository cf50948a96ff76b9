import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { PROJECT_ROOT } from '../../../src/config/load.js';
import { tempDir } from '../../helpers/temp.js';

// Fixed port block of this file, 27000-27199 (no other file uses it): API, SIP, then the RTP range.
const BASE = 27000;
const API_PORT = BASE;
const SIP_PORT = BASE + 1;

const cleanups: Array<() => void> = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

/** Every descendant pid of `pid`, read from /proc (Linux). */
function descendants(pid: number): number[] {
  const children: number[] = [];
  let tasks: string[] = [];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  for (const task of tasks) {
    let text = '';
    try {
      text = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8');
    } catch {
      continue;
    }
    for (const c of text.split(' ').filter(Boolean)) children.push(Number(c));
  }
  return children.flatMap((c) => [c, ...descendants(c)]);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    // A zombie still answers signal 0; it holds no ports any more.
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function tcpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => resolve(false));
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

async function waitFor(check: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return check();
}

describe('npm start', () => {
  it('stops the server on SIGTERM to npm: the node process exits after a clean stop and frees its ports', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const npm: ChildProcess = spawn('npm', ['start'], {
      cwd: PROJECT_ROOT,
      env: {
        ...process.env,
        CALLWRIGHT_DATA_DIR: t.dir,
        CALLWRIGHT_API_PORT: String(API_PORT),
        CALLWRIGHT_SIP_PORT: String(SIP_PORT),
        CALLWRIGHT_MEDIA_RTP_PORT_MIN: String(BASE + 100),
        CALLWRIGHT_MEDIA_RTP_PORT_MAX: String(BASE + 199),
        CALLWRIGHT_CALLS_DRAIN_TIMEOUT_MS: '1000',
        CALLWRIGHT_LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    npm.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    npm.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    const npmPid = npm.pid as number;
    let serverPids: number[] = [];
    cleanups.push(() => {
      // Whatever this test started and left behind, by pid.
      for (const pid of [npmPid, ...serverPids]) if (alive(pid)) process.kill(pid, 'SIGKILL');
    });

    expect(await waitFor(() => output.includes('admin API listening on'), 20_000)).toBe(true);
    serverPids = descendants(npmPid).filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('callwright.mjs');
      } catch {
        return false;
      }
    });
    expect(serverPids.length).toBeGreaterThan(0);
    expect(await tcpFree(API_PORT)).toBe(false);

    const npmExit = new Promise<void>((r) => npm.once('exit', () => r()));
    npm.kill('SIGTERM');
    await npmExit;

    expect(await waitFor(() => serverPids.every((pid) => !alive(pid)), 8_000)).toBe(true);
    expect(await tcpFree(API_PORT)).toBe(true);
    expect(await udpFree(SIP_PORT)).toBe(true);
    expect(output).toContain('callwright stopped');
  });
});
