import type { Command } from 'commander';
import type { Io } from '../context.js';
import { agentsCommand } from './agents.js';
import { contactsCommand } from './contacts.js';
import { actionsCommand } from './actions.js';
import { registerAgentsImport } from './agents-import.js';
import { simulateCommand } from './simulate.js';
import { outboxCommand } from './outbox.js';
import { callCommand } from './call.js';
import { testCommand } from './test.js';
import { campaignsCommand } from './campaigns.js';

/** Command groups beyond start/migrate/keys register here. */
export function registerMoreCommands(program: Command, io: Io): void {
  agentsCommand(program, io);
  contactsCommand(program, io);
  registerAgentsImport(program, io);
  actionsCommand(program, io);
  simulateCommand(program, io);
  outboxCommand(program, io);
  callCommand(program, io);
  testCommand(program, io);
  campaignsCommand(program, io);
}
