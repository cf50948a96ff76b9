import type { Command } from 'commander';
import { stringify } from 'yaml';
import { notFound } from '../../errors.js';
import type { Store, AgentRecord } from '../../store/store.js';
import { agentsGroup, loadCliConfig, withStore, type Io } from '../context.js';

/** Finds an agent by id, else by name. */
async function findAgent(store: Store, idOrName: string): Promise<AgentRecord> {
  const agent = await store.agents.byIdOrName(idOrName);
  if (!agent) throw notFound('agent', idOrName);
  return agent;
}

/** The agent as `agents show` prints it: its fields, the numbers that reach it and its attached actions. */
async function describeAgent(store: Store, agent: AgentRecord): Promise<Record<string, unknown>> {
  const numbers = (await store.numbers.list({ limit: 500 }, { agent_id: agent.id })).items.map(
    (n) => n.number,
  );
  const attached = (await store.attachments.list({ limit: 500 }, { agent_id: agent.id })).items;
  const actions = [];
  for (const a of attached) {
    const def = await store.actions.get(a.action_id);
    actions.push({
      stage: a.stage,
      position: a.position,
      action: def?.name ?? a.action_id,
      type: def?.type ?? '?',
      triggers: a.triggers,
      failure_policy: a.failure_policy,
    });
  }
  const { created_at, updated_at, ...fields } = agent;
  return { ...fields, numbers, actions, created_at, updated_at };
}

export function agentsCommand(program: Command, io: Io): void {
  const agents = agentsGroup(program);
  agents
    .command('list')
    .description('List agents by name: id, name, kind, description')
    .action(() =>
      withStore(
        loadCliConfig(program.opts()),
        async (store) => {
          const all = (await store.agents.all()).sort((a, b) => a.name.localeCompare(b.name));
          if (all.length === 0) io.err('no agents yet');
          for (const a of all) io.out([a.id, a.name, a.kind, a.description].join('\t'));
        },
        { readOnly: true },
      ),
    );
  agents
    .command('show <idOrName>')
    .description('Show one agent (by id or name) as YAML, with its numbers and attached actions')
    .action((idOrName: string) =>
      withStore(
        loadCliConfig(program.opts()),
        async (store) => {
          const shown = await describeAgent(store, await findAgent(store, idOrName));
          // Aliases (&a1 / *a1) would stand in for repeated triggers or policies; print the values.
          io.out(stringify(shown, { aliasDuplicateObjects: false }).trimEnd());
        },
        { readOnly: true },
      ),
    );
}
