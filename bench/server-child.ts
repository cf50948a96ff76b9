/**
 * The real server as a child process for the soak and overload benches: `callwright start` (the CLI
 * entry, src/cli/callwright.mjs) with a config file written to a temp folder, node's --expose-gc, and
 * bench/soak-probe.mjs preloaded so the bench can ask it for its memory and active resources over IPC.
 * The bench process itself then measures nothing of its own.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'src', 'cli', 'callwright.mjs');
const PROBE = path.join(ROOT, 'bench', 'soak-probe.mjs');

export interface Memory {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

export interface ProbeReply {
  /** As found (what a scraper of the process would see). */
  before: Memory;
  /** After a forced full collection (equal to `before` when gc was not asked for). */
  after: Memory;
  collected: boolean;
  /** process.getActiveResourcesInfo() counted by type (UDPWRAP, TCPWRAP, Timeout, FSReqCallback…). */
  resources: Record<string, number>;
}

export interface ServerChild {
  apiUrl: string;
  pid: number;
  dir: string;
  api<T = unknown>(method: string, url: string, body?: unknown): Promise<T>;
  probe(gc: boolean): Promise<ProbeReply>;
  /** Lines the server wrote to stderr (warnings, errors; the log level is set by the bench). */
  stderrTail(): string;
  stop(): Promise<void>;
}

export interface ServerChildOptions {
  /** The local config (merged over config/default.yaml); data.dir is set to a temp folder. */
  config: Record<string, unknown>;
  apiPort: number;
  /** Extra node flags, e.g. ['--max-semi-space-size=…']. */
  nodeArgs?: string[];
  env?: Record<string, string>;
  /**
   * A key the server's store already holds (a shared PostgreSQL database set up beforehand): the server
   * then prints none, so the child waits only for its API.
   */
  apiKey?: string;
}

export async function startServerChild(options: ServerChildOptions): Promise<ServerChild> {
  const dir = mkdtempSync(path.join(tmpdir(), 'callwright-bench-'));
  const file = path.join(dir, 'local.yaml');
  const config = {
    ...options.config,
    data: { ...(options.config.data as Record<string, unknown> | undefined), dir: path.join(dir, 'data') },
    api: { host: '127.0.0.1', port: options.apiPort, docs: false },
  };
  // YAML 1.2 is a superset of JSON: the config file is written as JSON.
  writeFileSync(file, JSON.stringify(config, null, 2));
  const child: ChildProcess = fork(CLI, ['--config', file, 'start'], {
    cwd: ROOT,
    execArgv: ['--expose-gc', '--import', PROBE, ...(options.nodeArgs ?? [])],
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (stderr.length > 200_000) stderr = stderr.slice(-100_000);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const apiUrl = `http://127.0.0.1:${options.apiPort}`;
  const started = Date.now();
  let key = options.apiKey ?? '';
  for (;;) {
    key ||= /API key: (\S+)/.exec(stdout)?.[1] ?? '';
    if (key && /admin API listening/.test(stderr)) break;
    if (child.exitCode !== null || /^error/m.test(stderr)) {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`server did not start:\n${stderr.slice(-3000)}`);
    }
    if (Date.now() - started > 90_000) {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`server did not start within 90 s:\n${stderr.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  let probeId = 0;
  const pending = new Map<number, (reply: ProbeReply) => void>();
  child.on('message', (m: { type?: string; id?: number } & ProbeReply) => {
    if (m?.type !== 'soak-probe' || m.id === undefined) return;
    pending.get(m.id)?.(m);
    pending.delete(m.id);
  });
  // A bench that ends abnormally must not leave the server holding its ports.
  const reap = (): void => {
    if (child.exitCode === null) child.kill('SIGKILL');
  };
  process.once('exit', reap);

  return {
    apiUrl,
    pid: child.pid ?? 0,
    dir,
    async api<T>(method: string, url: string, body?: unknown): Promise<T> {
      const res = await fetch(`${apiUrl}${url}`, {
        method,
        headers: {
          authorization: `Bearer ${key}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${text}`);
      return (text ? JSON.parse(text) : {}) as T;
    },
    probe(gc: boolean): Promise<ProbeReply> {
      const id = ++probeId;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error('the server did not answer the memory probe within 30 s'));
        }, 30_000);
        pending.set(id, (reply) => {
          clearTimeout(timer);
          resolve(reply);
        });
        child.send({ type: 'soak-probe', id, gc });
      });
    },
    stderrTail: () => stderr.slice(-3000),
    async stop(): Promise<void> {
      process.off('exit', reap);
      if (child.connected) child.disconnect();
      child.kill('SIGTERM');
      const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 20_000))]);
      if (code === 'timeout') child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One webhook as the receiver got it: when (epoch ms), for which call, and when that call ended. */
export interface Delivery {
  receivedAt: number;
  callId?: string;
  /** The call's ended_at (epoch ms) from the payload: receivedAt minus it is the after-call delay. */
  endedAt?: number;
}

/** A loopback HTTP receiver for webhook actions: answers 200 and counts what it got. */
export async function webhookReceiver(port: number): Promise<{
  url: string;
  count(): number;
  callIds: Set<string>;
  /** Every request in arrival order (bench:cluster times the outbox with them). */
  deliveries: Delivery[];
  close(): Promise<void>;
}> {
  let count = 0;
  const callIds = new Set<string>();
  const deliveries: Delivery[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      count++;
      const delivery: Delivery = { receivedAt: Date.now() };
      deliveries.push(delivery);
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString()) as {
          data?: { call?: { id?: string; ended_at?: string | null } };
        };
        const call = body.data?.call;
        if (call?.id) callIds.add((delivery.callId = call.id));
        if (call?.ended_at) delivery.endedAt = Date.parse(call.ended_at);
      } catch {
        // Counted all the same: the bench reports deliveries, the server's payload has its own tests.
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    url: `http://127.0.0.1:${port}/hook`,
    count: () => count,
    callIds,
    deliveries,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export const MB = 1024 * 1024;
export const mb = (n: number): string => (n / MB).toFixed(1);

/** 1 s of PCMU (a 400 Hz tone) for sipp's rtp_stream, which streams the raw payload in a loop. */
export function ulawTone(file: string): void {
  const out = Buffer.alloc(8000);
  for (let i = 0; i < out.length; i++) {
    const x = Math.round(6000 * Math.sin((2 * Math.PI * 400 * i) / 8000));
    const sign = x < 0 ? 0x80 : 0;
    let m = Math.min(Math.abs(x), 32635) + 132;
    let exp = 7;
    for (let mask = 0x4000; (m & mask) === 0 && exp > 0; mask >>= 1) exp--;
    const mant = (m >> (exp + 3)) & 0x0f;
    m = ~(sign | (exp << 4) | mant) & 0xff;
    out[i] = m;
  }
  writeFileSync(file, out);
}
