import type { Command } from 'commander';
import { pino } from 'pino';
import { createActionEngine, type ActionEngine } from '../../actions/action-engine.js';
import { callFlowActionTypes } from '../../calls/flow-actions/call-flow-types.js';
import { callFlowSettings } from '../../calls/targets/call-flow-settings.js';
import type { Config } from '../../config/schema.js';
import type { Store } from '../../store/store.js';
import { loadCliConfig, withStore, type Io } from '../context.js';

/**
 * An engine over the CLI's store: every action type the server offers (the call layer's call-flow types
 * included, so their definitions validate and simulate), no live services.
 */
export function cliEngine(store: Store, config: Config): ActionEngine {
  return createActionEngine({
    store,
    logger: pino({ level: 'silent' }),
    actions: config.actions,
    outbox: config.outbox,
    types: callFlowActionTypes({ settings: callFlowSettings(config) }),
  });
}

export function actionsCommand(program: Command, io: Io): void {
  const actions = program.command('actions').description('Action definitions: list, types');
  actions
    .command('list')
    .description('List action definitions: id, name, type, enabled, runs, success rate, p95')
    .action(() => {
      const config = loadCliConfig(program.opts());
      return withStore(
        config,
        async (store) => {
          const engine = cliEngine(store, config);
          const all = (await store.actions.all()).sort((a, b) => a.name.localeCompare(b.name));
          if (!all.length) io.err('no action definitions yet');
          for (const d of all) {
            const s = await engine.history.stats(d.id);
            const rate = s.success_rate === null ? '-' : `${Math.round(s.success_rate * 100)}%`;
            io.out(
              [
                d.id,
                d.name,
                d.type,
                d.enabled ? 'enabled' : 'disabled',
                `${s.runs} runs`,
                rate,
                s.p95_ms === null ? '-' : `p95 ${s.p95_ms} ms`,
              ].join('\t'),
            );
          }
        },
        { readOnly: true },
      );
    });
  actions
    .command('types')
    .description('List the action types this build knows, with their stages')
    .action(() => {
      const config = loadCliConfig(program.opts());
      return withStore(
        config,
        async (store) => {
          for (const t of cliEngine(store, config).registry.list())
            io.out([t.name, t.stages.join(','), t.description].join('\t'));
        },
        { readOnly: true },
      );
    });
}
