import type { Command } from 'commander';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import type { Store } from '../store/store.js';
import { openStore as openConfiguredStore } from '../store/open-store.js';
import { CallwrightError, describeIssues } from '../errors.js';

/** What a command prints to; tests pass buffers. */
export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
  /** True when stderr is a terminal (progress bars). */
  tty: boolean;
}

export const processIo: Io = {
  out: (line) => process.stdout.write(line + '\n'),
  err: (line) => process.stderr.write(line + '\n'),
  tty: Boolean(process.stderr.isTTY),
};

export interface GlobalOptions {
  config?: string;
}

/** The `agents` group; `agents.ts` and `agents-import.ts` both add to it, whichever runs first creates it. */
export function agentsGroup(program: Command): Command {
  return (
    program.commands.find((c) => c.name() === 'agents') ??
    program.command('agents').description('Agents: list, show, import')
  );
}

export function loadCliConfig(opts: GlobalOptions): Config {
  return loadConfig(opts.config ? { file: opts.config } : {});
}

/**
 * Where a command reaches the running server's admin API: `--api-url` (default from api.host/api.port;
 * a wildcard host means this machine) and `--api-key` (default CALLWRIGHT_API_KEY), which is required.
 */
export function apiTarget(
  config: Config,
  opts: { apiUrl?: unknown; apiKey?: unknown },
): { base: string; key: string } {
  const host = config.api.host === '0.0.0.0' ? '127.0.0.1' : config.api.host;
  const base = String(opts.apiUrl ?? `http://${host}:${config.api.port}`).replace(/\/+$/, '');
  const key = String(opts.apiKey ?? process.env.CALLWRIGHT_API_KEY ?? '');
  if (!key)
    throw new CallwrightError(
      'VALIDATION',
      'an API key is needed: pass --api-key or set CALLWRIGHT_API_KEY',
      [{ field: '--api-key', expected: 'the API key printed when the server first started' }],
    );
  return { base, key };
}

/**
 * The store the config names (PostgreSQL when `data.postgres_url` is set, else the SQLite file).
 * `readOnly` commands refuse a PostgreSQL schema behind this build rather than upgrading it: listing
 * should not change a database the servers share.
 */
export async function openStore(config: Config, options: { readOnly?: boolean } = {}): Promise<Store> {
  return openConfiguredStore(config, options.readOnly ? { migrate: false } : {});
}

/** Opens the store, runs `work` with it and closes it, whether `work` succeeds or throws. */
export async function withStore<T>(
  config: Config,
  work: (store: Store) => Promise<T>,
  options: { readOnly?: boolean } = {},
): Promise<T> {
  const store = await openStore(config, options);
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

/**
 * Formats an error for a terminal: the message, then one line per field issue the message does not
 * already hold (config errors list their issues in the message; each line is printed once).
 */
export function formatError(err: unknown): string {
  if (err instanceof CallwrightError) {
    const shown = new Set(err.message.split('\n'));
    const extra = err.issues.map((i) => describeIssues([i])).filter((line) => !shown.has(line));
    const detail = extra.length && err.issues.length > 1 ? '\n' + extra.join('\n') : '';
    return `error [${err.code}]: ${err.message}${detail}`;
  }
  return `error: ${(err as Error)?.message ?? String(err)}`;
}
