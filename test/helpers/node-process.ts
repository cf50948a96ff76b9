/**
 * A Callwright server in its own process (`node src/cli/callwright.mjs start`), configured by
 * CALLWRIGHT_* environment variables: what a cluster test kills with SIGKILL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface NodeProcess {
  name: string;
  child: ChildProcess;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  /** Resolves with the exit code (or signal) once the process is gone. */
  exited: Promise<number | NodeJS.Signals | null>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** `CALLWRIGHT_A_B` for the config key `a.b`. */
export function configEnv(settings: Record<string, string | number | boolean>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(settings))
    env['CALLWRIGHT_' + key.replace(/\./g, '_').toUpperCase()] = String(value);
  return env;
}

/** Starts a server and resolves once its API listens (rejects with its output if it exits or takes too long). */
export async function startNodeProcess(
  name: string,
  settings: Record<string, string | number | boolean>,
  options: { timeoutMs?: number; env?: Record<string, string> } = {},
): Promise<NodeProcess> {
  const child = spawn(process.execPath, [path.join(PROJECT_ROOT, 'src/cli/callwright.mjs'), 'start'], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...options.env, ...configEnv(settings) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? code)),
  );
  const node: NodeProcess = {
    name,
    child,
    output: () => output,
    exited,
    kill: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  while (!output.includes('admin API listening on')) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`node ${name} exited before listening:\n${output}`);
    if (Date.now() > deadline) {
      await node.kill('SIGKILL');
      throw new Error(`node ${name} did not listen within ${options.timeoutMs ?? 30_000} ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return node;
}
