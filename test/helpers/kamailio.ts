/**
 * Runs a real Kamailio (Debian's `kamailio` package) with the project's dispatcher configuration
 * (docker/kamailio/kamailio.cfg) on loopback: its own process in the foreground, its own ports,
 * dispatcher list and control socket in a temp folder, every setting passed as a `-A` define (the way
 * docker compose passes them). Nothing of the system service is used.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/config/load.js';
import { until } from './until.js';

export const KAMAILIO_CONFIG = path.join(PROJECT_ROOT, 'docker', 'kamailio', 'kamailio.cfg');

export interface KamailioOptions {
  /** Folder for the dispatcher list and the control socket (a test's temp dir). */
  dir: string;
  /** UDP and TCP port on 127.0.0.1. */
  port: number;
  /** Node SIP addresses `host:port`, dispatcher set 1 in this order. */
  nodes: string[];
  /** Nodes listed as out (flag 1) from the start, until a probe answers 200. */
  outAtStart?: string[];
  /**
   * A second socket for the nodes' side (`udp:127.0.0.1:port`), as docker compose runs it: the nodes
   * are then reached from it (dispatcher attribute socket=) and calls are double Record-Routed.
   */
  nodeSocket?: string;
  /** OPTIONS probe interval, s. */
  pingIntervalS: number;
  /** How long an INVITE waits for a node's first answer before trying the next one, ms. */
  nodeTimeoutMs?: number;
  /** Kamailio's log level (2 = info, 3 = debug). */
  logLevel?: number;
}

/** One destination of `kamcmd dispatcher.list`: its URI and flags (`AP` active, `IP` out and probed). */
export interface DispatcherDestination {
  uri: string;
  flags: string;
}

export interface RunningKamailio {
  /** `127.0.0.1:port`, the address callers use. */
  target: string;
  destinations(): DispatcherDestination[];
  output(): string;
  stop(): Promise<void>;
}

function defines(options: KamailioOptions, list: string, ctl: string): string[] {
  const defs = {
    LISTEN: `udp:127.0.0.1:${options.port}`,
    LISTEN_TCP: `tcp:127.0.0.1:${options.port}`,
    DS_LIST: `"${list}"`,
    CTL_SOCKET: `"unix:${ctl}"`,
    PING_INTERVAL: String(options.pingIntervalS),
    NODE_TIMEOUT: String(options.nodeTimeoutMs ?? 2000),
    LOG_LEVEL: String(options.logLevel ?? 2),
    CHILDREN: '2',
    ...(options.nodeSocket ? { LISTEN_NODES: options.nodeSocket } : {}),
  };
  return Object.entries(defs).flatMap(([k, v]) => ['-A', `${k}=${v}`]);
}

/** Parses the text `kamcmd dispatcher.list` prints. */
export function parseDispatcherList(text: string): DispatcherDestination[] {
  const out: DispatcherDestination[] = [];
  const re = /URI:\s*(\S+)\s*\n\s*FLAGS:\s*(\S+)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push({ uri: m[1] as string, flags: m[2] as string });
  return out;
}

export async function startKamailio(options: KamailioOptions): Promise<RunningKamailio> {
  const list = path.join(options.dir, `dispatcher-${options.port}.list`);
  const ctl = path.join(options.dir, `kamailio-${options.port}.ctl`);
  const attrs = options.nodeSocket ? ` socket=${options.nodeSocket}` : '';
  const flags = (n: string): number => (options.outAtStart?.includes(n) ? 1 : 0);
  writeFileSync(list, options.nodes.map((n) => `1 sip:${n} ${flags(n)} 0${attrs}\n`).join(''));
  // -DD: stay in the foreground (the test owns the process); -E: log to stderr; -w: work dir.
  const args = ['-f', KAMAILIO_CONFIG, '-DD', '-E', '-w', options.dir, ...defines(options, list, ctl)];
  const child: ChildProcess = spawn('kamailio', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kamcmd = (...cmd: string[]): string => {
    const r = spawnSync('kamcmd', ['-s', `unix:${ctl}`, ...cmd], { encoding: 'utf8', timeout: 5000 });
    return r.status === 0 ? r.stdout : '';
  };
  const running: RunningKamailio = {
    target: `127.0.0.1:${options.port}`,
    destinations: () => parseDispatcherList(kamcmd('dispatcher.list')),
    output: () => out,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
  try {
    await until(
      () => child.exitCode !== null || running.destinations().length === options.nodes.length,
      15_000,
      'kamailio to answer on its control socket',
    );
    if (child.exitCode !== null) throw new Error(`kamailio exited ${child.exitCode}`);
  } catch (err) {
    await running.stop();
    throw new Error(`${(err as Error).message}\n${out.slice(-3000)}`, { cause: err });
  }
  return running;
}
