import type { Command } from 'commander';
import type { Io } from '../context.js';
import { agentsCommand } from './agents.js';
import { contactsCommand } from './contacts.js';

/** Command groups beyond start/migrate/keys register here. */
export function registerMoreCommands(program: Command, io: Io): void {
  agentsCommand(program, io);
  contactsCommand(program, io);
}
