import type { Command } from 'commander';
import type { Io } from '../context.js';

/** Command groups beyond start/migrate/keys register here. */
export function registerMoreCommands(_program: Command, _io: Io): void {}
