/**
 * `npm run bench:freeswitch`: calls per second and concurrent media calls held with zero failures,
 * for Callwright's freeswitch backend and, in the same invocation, for a bare drachtio-fsmrf app that
 * only answers each call onto an endpoint (the baseline). Prints both and their ratio; the target is
 * Callwright ≥ 0.8 × baseline. Needs the live daemons (same variables as `npm run test:freeswitch`).
 *
 * sipp drives the load (sipp-scenarios/uac-invite-answer-hangup.xml: INVITE, hold -d ms, BYE).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createLogger } from '../src/logging/logger.js';
import { FreeswitchTelephony } from '../src/telephony/freeswitch/freeswitch-telephony.js';
import { realDrachtio } from '../src/telephony/freeswitch/real-drachtio.js';
import { HELP, liveEnv, liveSettings, type LiveEnv } from '../test/freeswitch/live-env.js';

const SCENARIO = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  'sipp-scenarios',
  'uac-invite-answer-hangup.xml',
);
const require = createRequire(import.meta.url);

/**
 * sipp children still running. Whatever ends this process (normal end, an exception, an unhandled
 * rejection such as drachtio-fsmrf's ENODIALOG in the bare baseline, SIGINT/SIGTERM/SIGHUP) kills them
 * first: a crashed run once left sipp holding its SIP and RTP ports for the next one.
 */
const children = new Set<ChildProcess>();

function killChildren(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  children.clear();
}

/** Starts `command` as a child that dies with this process, however it ends. */
export function spawnOwned(command: string, args: string[]): ChildProcess {
  const child = spawn(command, args, { stdio: 'ignore' });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

let reaperInstalled = false;

/** Installs the process handlers that stop every owned child before the process ends. */
export function installChildReaper(): void {
  if (reaperInstalled) return;
  reaperInstalled = true;
  // 'exit' runs for process.exit() and a normal end; only synchronous work is possible there.
  process.on('exit', killChildren);
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const) {
    process.once(signal, () => {
      console.error(`bench:freeswitch: ${signal}, stopping sipp`);
      killChildren();
      process.exit(code);
    });
  }
  const fail = (err: unknown): void => {
    console.error(`bench:freeswitch crashed: ${err instanceof Error ? err.stack : String(err)}`);
    killChildren();
    process.exit(1);
  };
  process.on('uncaughtException', fail);
  process.on('unhandledRejection', fail);
}

interface App {
  stop(): Promise<void>;
}

/** The baseline: drachtio-srf + drachtio-fsmrf, answer onto an endpoint, release on BYE. */
async function startBaseline(env: LiveEnv): Promise<App> {
  const Srf = require('drachtio-srf');
  const Mrf = require('drachtio-fsmrf');
  const srf = new Srf();
  srf.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    srf.on('connect', (err: Error | null) => (err ? reject(err) : resolve()));
    srf.connect(env.drachtio);
  });
  const mrf = new Mrf(srf);
  const ms = await mrf.connect({
    address: env.freeswitch.host,
    port: env.freeswitch.port,
    secret: env.freeswitch.secret,
    listenAddress: env.listenAddress,
    advertisedAddress: env.advertisedAddress,
  });
  srf.invite(async (req: unknown, res: { send(s: number): void }) => {
    try {
      const { endpoint, dialog } = await ms.connectCaller(req, res);
      dialog.on('destroy', () => endpoint.destroy().catch(() => undefined));
    } catch {
      res.send(503);
    }
  });
  return {
    async stop() {
      ms.disconnect();
      srf.disconnect();
    },
  };
}

async function startCallwright(env: LiveEnv): Promise<App> {
  const telephony = new FreeswitchTelephony({
    settings: liveSettings(env, 'bench'),
    trunks: [],
    logger: createLogger({ level: 'warn', redact_pii: true }),
    drachtio: realDrachtio(),
  });
  telephony.onInbound(async (call) => {
    const leg = await call.answer();
    await leg.ended;
  });
  await telephony.start();
  if (!telephony.readiness().ready) throw new Error(`not ready: ${telephony.readiness().detail}`);
  return { stop: () => telephony.stop() };
}

/** One sipp run; true when every call succeeded (sipp exits 0 only then). */
function sipp(
  env: LiveEnv,
  o: { calls: number; rate: number; limit: number; holdMs: number },
): Promise<boolean> {
  const args = [
    env.drachtioSip,
    '-sf',
    SCENARIO,
    '-nostdin',
    '-i',
    env.sippAddress,
    '-p',
    '32900',
    '-mp',
    '32910',
    '-s',
    'bench',
    '-m',
    String(o.calls),
    '-r',
    String(o.rate),
    '-l',
    String(o.limit),
    '-d',
    String(o.holdMs),
    '-timeout',
    `${Math.ceil(o.calls / o.rate + o.holdMs / 1000 + 30)}s`,
  ];
  return new Promise((resolve) => {
    const child = spawnOwned('sipp', args);
    child.on('close', (code) => resolve(code === 0));
    child.on('error', () => resolve(false));
  });
}

interface Result {
  cps: number;
  concurrent: number;
}

/** FreeSWITCH's own caps, as the running server reports them (`api status` over the event socket). */
export interface FreeswitchLimits {
  /** switch.conf.xml `sessions-per-second`: new sessions over it are refused by FreeSWITCH itself. */
  sessionsPerSecond: number;
  /** switch.conf.xml `max-sessions`. */
  maxSessions: number;
}

/** Parses the `status` API answer ("… per Sec out of max 30, …", "1000 session(s) max"). */
export function parseFreeswitchStatus(text: string): FreeswitchLimits {
  const sps = /session\(s\) per Sec out of max (\d+)/.exec(text)?.[1];
  const max = /(\d+) session\(s\) max/.exec(text)?.[1];
  if (!sps || !max)
    throw new Error(`FreeSWITCH status without its session limits: ${JSON.stringify(text.slice(0, 400))}`);
  return { sessionsPerSecond: Number(sps), maxSessions: Number(max) };
}

/** Asks the live FreeSWITCH for its limits over the event socket (auth, `api status`). */
export function freeswitchLimits(env: LiveEnv, timeoutMs = 5000): Promise<FreeswitchLimits> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(env.freeswitch.port, env.freeswitch.host);
    let buffer = '';
    let stage: 'auth' | 'api' | 'body' = 'auth';
    const done = (err: Error | null, limits?: FreeswitchLimits): void => {
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(limits!);
    };
    const timer = setTimeout(
      () => done(new Error('FreeSWITCH event socket: no status within 5 s')),
      timeoutMs,
    );
    socket.on('error', (err) => done(err));
    socket.on('data', (d: Buffer) => {
      buffer += d.toString();
      if (stage === 'auth' && buffer.includes('Content-Type: auth/request')) {
        stage = 'api';
        buffer = '';
        socket.write(`auth ${env.freeswitch.secret}\n\n`);
      } else if (stage === 'api' && buffer.includes('Reply-Text:')) {
        if (!buffer.includes('+OK')) return done(new Error(`FreeSWITCH event socket refused the password`));
        stage = 'body';
        buffer = '';
        socket.write('api status\n\n');
      } else if (stage === 'body') {
        const length = /Content-Length: (\d+)\n\n/.exec(buffer);
        if (!length) return;
        const body = buffer.slice(length.index + length[0].length);
        if (Buffer.byteLength(body) < Number(length[1])) return;
        try {
          done(null, parseFreeswitchStatus(body));
        } catch (err) {
          done(err as Error);
        }
      }
    });
  });
}

/**
 * The ramps, kept under FreeSWITCH's caps: a step offering more new calls per second than its
 * sessions-per-second would measure FreeSWITCH refusing them, not the application. Calls per second
 * stop at 90 % of that cap; the concurrency ramp sets calls up at that rate at most (holding each call
 * until the last one is up) and stops at max-sessions.
 */
export function ramps(limits: FreeswitchLimits): {
  cpsSteps: number[];
  concurrencySteps: Array<{ calls: number; rate: number; holdMs: number }>;
} {
  const cap = Math.max(1, Math.floor(limits.sessionsPerSecond * 0.9));
  const cpsSteps = [5, 10, 20, 40, 80, 160].filter((r) => r < cap);
  cpsSteps.push(cap);
  const concurrencySteps = [25, 50, 100, 200, 400, 800]
    .filter((n) => n <= limits.maxSessions)
    .map((calls) => {
      const rate = Math.min(Math.max(10, calls / 5), cap);
      return { calls, rate, holdMs: Math.max(15_000, Math.ceil((calls / rate) * 1000) + 5_000) };
    });
  return { cpsSteps, concurrencySteps };
}

async function measure(env: LiveEnv, label: string, limits: FreeswitchLimits): Promise<Result> {
  const { cpsSteps, concurrencySteps } = ramps(limits);
  let cps = 0;
  for (const rate of cpsSteps) {
    const ok = await sipp(env, { calls: rate * 5, rate, limit: rate * 3, holdMs: 1000 });
    console.log(`  ${label}: ${rate} calls/s for 5 s … ${ok ? 'ok' : 'failures'}`);
    if (!ok) break;
    cps = rate;
  }
  let concurrent = 0;
  for (const { calls: n, rate, holdMs } of concurrencySteps) {
    const ok = await sipp(env, { calls: n, rate, limit: n, holdMs });
    console.log(
      `  ${label}: ${n} concurrent calls (set up at ${rate}/s) held ${holdMs / 1000} s … ${ok ? 'ok' : 'failures'}`,
    );
    if (!ok) break;
    concurrent = n;
  }
  return { cps, concurrent };
}

async function main(): Promise<number> {
  const env = liveEnv();
  if (!env) {
    console.log(`bench:freeswitch needs live daemons.\n${HELP}`);
    return 0;
  }
  const limits = await freeswitchLimits(env);
  console.log(
    `FreeSWITCH: sessions-per-second ${limits.sessionsPerSecond}, max-sessions ${limits.maxSessions}; ` +
      `calls/s steps ${ramps(limits).cpsSteps.join(', ')} (the last is FreeSWITCH's cap, not the application's)`,
  );
  const run = async (label: string, start: (e: LiveEnv) => Promise<App>): Promise<Result> => {
    const app = await start(env);
    try {
      return await measure(env, label, limits);
    } finally {
      await app.stop();
      await new Promise((r) => setTimeout(r, 2000));
    }
  };
  const baseline = await run('baseline (bare drachtio-fsmrf)', startBaseline);
  const callwright = await run('callwright', startCallwright);
  const ratio = (a: number, b: number): string => (b > 0 ? (a / b).toFixed(2) : 'n/a');
  console.log('\n                      calls/s (0 failures)   concurrent media calls (0 failures)');
  console.log(`baseline              ${String(baseline.cps).padEnd(23)}${baseline.concurrent}`);
  console.log(`callwright            ${String(callwright.cps).padEnd(23)}${callwright.concurrent}`);
  console.log(
    `ratio (target ≥ 0.8)  ${ratio(callwright.cps, baseline.cps).padEnd(23)}${ratio(callwright.concurrent, baseline.concurrent)}`,
  );
  return 0;
}

// Run only as the entry point, so the child handling above can be exercised on its own.
if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  installChildReaper();
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(`bench:freeswitch failed: ${(err as Error).message}`);
      process.exit(1);
    },
  );
}
