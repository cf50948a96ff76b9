import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { simulate } from '../../agent/simulation.js';
import { parseAgentFile } from '../../agent/agent-import.js';
import { CallwrightError, notFound } from '../../errors.js';
import { loadCliConfig, withStore, type Io } from '../context.js';
import { cliEngine } from './actions.js';

export function simulateCommand(program: Command, io: Io): void {
  program
    .command('simulate <agent>')
    .description(
      "Run a scripted call (events, transcript lines, DTMF) through an agent's triggers and actions, and a scripted agent's own steps; prints what the agent would do and which actions would fire, in order, without side effects",
    )
    .requiredOption('-s, --script <file>', 'YAML script: call (from, to, contact, data) and events')
    .option('--json', 'print JSON instead of YAML')
    .action(async (agentRef: string, opts: { script: string; json?: boolean }) => {
      let text: string;
      try {
        text = readFileSync(opts.script, 'utf8');
      } catch (err) {
        throw new CallwrightError('VALIDATION', `cannot read ${opts.script}: ${(err as Error).message}`);
      }
      const config = loadCliConfig(program.opts());
      await withStore(config, async (store) => {
        const agent = await store.agents.byIdOrName(agentRef);
        if (!agent) throw notFound('agent', agentRef);
        const result = await simulate(
          cliEngine(store, config),
          agent.id,
          parseAgentFile(text, opts.script),
          agent,
        );
        if (opts.json) io.out(JSON.stringify(result, null, 2));
        else {
          if (!result.runs.length) io.err('no action would fire');
          // Repeated objects (a trigger shared by runs) print as values, not as &a1 / *a1 aliases.
          io.out(stringify(result, { aliasDuplicateObjects: false }).trimEnd());
        }
      });
    });
}
