import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { importAgent, parseAgentFile } from '../../agent/agent-import.js';
import { CallwrightError } from '../../errors.js';
import { agentsGroup, loadCliConfig, withStore, type Io } from '../context.js';
import { cliEngine } from './actions.js';

/** Adds `agents import FILE.yaml` to the `agents` group. */
export function registerAgentsImport(program: Command, io: Io): void {
  agentsGroup(program)
    .command('import <file>')
    .description(
      'Import an agent with its actions (definitions + attachments) from YAML; re-importing changes nothing',
    )
    .action((file: string) => {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        throw new CallwrightError('VALIDATION', `cannot read ${file}: ${(err as Error).message}`);
      }
      const config = loadCliConfig(program.opts());
      const agent = parseAgentFile(text, file);
      return withStore(config, async (store) => {
        const report = await importAgent(store, cliEngine(store, config), agent);
        io.out(`agent ${report.agent.name} (${report.agent.id}): ${report.agent.outcome}`);
        for (const a of report.actions) io.out(`action ${a.name}: ${a.outcome}`);
        for (const a of report.attachments) io.out(`attachment ${a.action} at ${a.stage}: ${a.outcome}`);
      });
    });
}
