/**
 * Runs sipp as a real SIP peer on loopback. Exit code 0 means every call succeeded (sipp's own rule);
 * stdout/stderr and the -trace_stat / -trace_err files are returned for assertions and debugging.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const SCENARIOS = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'sipp-scenarios',
);

export interface SippOptions {
  /** File in sipp-scenarios/ or an absolute path. */
  scenario: string;
  /** Server `host:port` for UAC scenarios; omitted for UAS. */
  remote?: string;
  localPort: number;
  mediaPort?: number;
  calls?: number;
  rate?: number;
  /** Concurrent call limit (-l). */
  limit?: number;
  /** Drop this percent of messages (-lost). */
  lostPercent?: number;
  transport?: 'udp' | 'tcp';
  /** -key name value pairs for [name] in the scenario. */
  keys?: Record<string, string>;
  /** Kill sipp after this long (it then fails). */
  timeoutMs?: number;
  /** Local address sipp binds to (-i); default 127.0.0.1. Any 127/8 address works on Linux loopback. */
  localIp?: string;
  /** Request-URI user for UAC scenarios (-s). */
  service?: string;
  extraArgs?: string[];
  cwd?: string;
  /** Called once sipp has printed its first output (UAS scenarios are then listening). */
  onStarted?: () => void;
}

export interface SippResult {
  code: number | null;
  stdout: string;
  stderr: string;
  errors: string;
}

export interface RunningSipp {
  done: Promise<SippResult>;
  /** Resolves once the UAS socket is bound (sipp printed something or 300 ms passed). */
  ready: Promise<void>;
  kill(): void;
}

/** The sipp command line for `options` (kept apart so it can be logged or reused). */
export function sippArgs(options: SippOptions, scenario: string, errFile: string): string[] {
  const args = [
    ...(options.remote ? [options.remote] : []),
    '-sf',
    scenario,
    '-nostdin',
    '-i',
    options.localIp ?? '127.0.0.1',
    '-p',
    String(options.localPort),
    '-m',
    String(options.calls ?? 1),
    '-r',
    String(options.rate ?? 10),
    '-t',
    options.transport === 'tcp' ? 't1' : 'u1',
    '-trace_err',
    '-error_file',
    errFile,
    '-timeout',
    `${Math.ceil((options.timeoutMs ?? 60_000) / 1000)}s`,
    '-timeout_error',
    '-max_socket',
    '2048',
  ];
  if (options.mediaPort) args.push('-mp', String(options.mediaPort), '-mi', '127.0.0.1');
  if (options.limit) args.push('-l', String(options.limit));
  if (options.lostPercent) args.push('-lost', String(options.lostPercent));
  if (options.service) args.push('-s', options.service);
  for (const [k, v] of Object.entries(options.keys ?? {})) args.push('-key', k, v);
  args.push(...(options.extraArgs ?? []));
  return args;
}

export function startSipp(options: SippOptions): RunningSipp {
  const scenario = path.isAbsolute(options.scenario)
    ? options.scenario
    : path.join(SCENARIOS, options.scenario);
  const errFile = path.join('/tmp', `sipp-err-${process.pid}-${options.localPort}.log`);
  const args = sippArgs(options, scenario, errFile);
  const child = spawn('sipp', args, { cwd: options.cwd ?? SCENARIOS, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let started = false;
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  const readyTimer = setTimeout(() => markReady(), 300);
  const onOutput = (): void => {
    if (!started) {
      started = true;
      options.onStarted?.();
      setTimeout(markReady, 50);
    }
  };
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    onOutput();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    onOutput();
  });
  const hardTimeout = setTimeout(() => child.kill('SIGKILL'), (options.timeoutMs ?? 60_000) + 5_000);
  const done = new Promise<SippResult>((resolve) => {
    child.on('close', (code) => {
      clearTimeout(hardTimeout);
      clearTimeout(readyTimer);
      markReady();
      const errors = existsSync(errFile) ? readFileSync(errFile, 'utf8') : '';
      resolve({ code, stdout, stderr, errors });
    });
  });
  return { done, ready, kill: () => child.kill('SIGTERM') };
}

export function runSipp(options: SippOptions): Promise<SippResult> {
  return startSipp(options).done;
}

/** Short failure text for assertion messages. */
export function sippFailure(result: SippResult): string {
  return `sipp exited ${result.code}\n${result.stderr.slice(-1500)}\n${result.errors.slice(-3000)}`;
}
