/**
 * bench/freeswitch.ts drives load with sipp children; a run that ended abnormally once left sipp
 * holding its ports. Each way the bench process can end must take its sipp with it. A real node
 * process loads the bench module (tsx), starts a real sipp UAS on a port, and then ends.
 */
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const BENCH = path.join(ROOT, 'bench', 'freeswitch.ts');
// Ports for this file: 27500-27509 (no other file uses them).
const BASE = 27500;
/** Longest wait for the bench process to have loaded and its sipp to hold the port. */
const READY_MS = 45_000;

type Ending = 'normal exit' | 'thrown exception' | 'unhandled rejection' | 'SIGTERM' | 'SIGINT';
const EXIT_CODE: Record<Ending, number> = {
  'normal exit': 0,
  'thrown exception': 1,
  'unhandled rejection': 1,
  SIGTERM: 143,
  SIGINT: 130,
};

function script(ending: Ending, port: number): string {
  const end: Record<Ending, string> = {
    'normal exit': 'process.exit(0);',
    'thrown exception': "setImmediate(() => { throw new Error('boom'); });",
    'unhandled rejection':
      "void Promise.reject(Object.assign(new Error('unable to find dialog'), { code: 'ENODIALOG' }));",
    SIGTERM: '',
    SIGINT: '',
  };
  return [
    "import dgram from 'node:dgram';",
    `const { installChildReaper, spawnOwned } = await import(${JSON.stringify(BENCH)});`,
    'installChildReaper();',
    `const child = spawnOwned('sipp', ['-sn', 'uas', '-i', '127.0.0.1', '-p', '${port}', '-nostdin']);`,
    // End only once sipp holds its port, so every ending is tested against a sipp that is really up.
    'const busy = () => new Promise((resolve) => {',
    "  const s = dgram.createSocket('udp4');",
    "  s.once('error', () => resolve(true));",
    `  s.bind(${port}, '127.0.0.1', () => s.close(() => resolve(false)));`,
    '});',
    'while (!(await busy())) await new Promise((r) => setTimeout(r, 50));',
    "console.log('sipp ' + child.pid + ' ready');",
    end[ending],
  ].join('\n');
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function portFree(port: number): Promise<boolean> {
  const socket = dgram.createSocket('udp4');
  return new Promise((resolve) => {
    socket.once('error', () => resolve(false));
    socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
  });
}

async function until(cond: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return cond();
}

describe('bench:freeswitch stops its sipp child however it ends', () => {
  const endings: Ending[] = ['normal exit', 'thrown exception', 'unhandled rejection', 'SIGTERM', 'SIGINT'];
  it.each(endings.map((e, i) => [e, BASE + i] as const))(
    '%s',
    async (ending, port) => {
      const bench = spawn(
        process.execPath,
        ['--import', 'tsx', '--input-type=module', '-e', script(ending, port)],
        {
          cwd: ROOT,
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let out = '';
      bench.stdout.on('data', (d: Buffer) => (out += d.toString()));
      bench.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const exited = new Promise<number | null>((resolve) => bench.on('exit', (code) => resolve(code)));
      // The script reports once sipp holds its port (it checks by binding), then ends its own way.
      // Loading the bench module cold (tsx transforms it and the freeswitch backend it imports) takes
      // seconds, many more while the rest of the suite keeps both cores busy: the wait allows for that.
      expect(await until(() => /sipp \d+ ready/.test(out), READY_MS), out).toBe(true);
      const pid = Number(/sipp (\d+) ready/.exec(out)?.[1]);
      if (ending === 'SIGTERM' || ending === 'SIGINT') bench.kill(ending);
      const code = await exited;
      expect(code).toBe(EXIT_CODE[ending]);
      expect(await until(() => !alive(pid), 3000), `sipp ${pid} outlived the bench (${ending})`).toBe(true);
      expect(await portFree(port)).toBe(true);
    },
    READY_MS + 10_000,
  );
});
