import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { PROJECT_ROOT } from '../config/load.js';
import { formatError, processIo, type Io } from './context.js';
import { keysCommand } from './commands/keys.js';
import { migrateCommand } from './commands/migrate.js';
import { startCommand } from './commands/start.js';
import { registerMoreCommands } from './commands/index.js';

/** The version in package.json, the one place it is kept. */
function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

function buildProgram(io: Io = processIo): Command {
  const program = new Command('callwright')
    .description('Telephony server for AI voice agents')
    .version(packageVersion(), '-V, --version', 'print the version and exit')
    .option('-c, --config <file>', 'local config file merged over config/default.yaml')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });
  startCommand(program, io);
  migrateCommand(program, io);
  keysCommand(program, io);
  registerMoreCommands(program, io);
  return program;
}

/** Runs the CLI; returns the exit code instead of exiting so tests can call it in-process. */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    io.err(formatError(err));
    return 1;
  }
}
