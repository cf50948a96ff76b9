import type { Command } from 'commander';
import { OutboxRepository, type OutboxStatus } from '../../delivery/outbox-repository.js';
import { CallwrightError } from '../../errors.js';
import { loadCliConfig, withStore, type Io } from '../context.js';

const STATUSES = ['pending', 'processing', 'delivered', 'dead'];

export function outboxCommand(program: Command, io: Io): void {
  const outbox = program.command('outbox').description('Durable outbox: list rows, replay dead letters');
  /** Runs `work` with the outbox of the configured store, closing the store after. */
  const withOutbox = (
    work: (repo: OutboxRepository) => Promise<void>,
    options: { readOnly?: boolean } = {},
  ) => {
    const config = loadCliConfig(program.opts());
    return withStore(
      config,
      (store) =>
        work(
          new OutboxRepository(store.sql, {
            backoffBaseMs: config.outbox.backoff_base_ms,
            backoffMaxMs: config.outbox.backoff_max_ms,
          }),
        ),
      options,
    );
  };
  outbox
    .command('list')
    .description('List rows, newest first: id, status, kind, attempts, key, last error')
    .option('--status <status>', `one of ${STATUSES.join(', ')}`)
    .option('--limit <n>', 'rows to show', '50')
    .action((opts: { status?: string; limit: string }) => {
      if (opts.status && !STATUSES.includes(opts.status)) {
        throw new CallwrightError(
          'VALIDATION',
          `--status: got ${JSON.stringify(opts.status)}, expected one of ${STATUSES.join(', ')}`,
        );
      }
      return withOutbox(
        async (repo) => {
          const page = await repo.list({
            status: opts.status as OutboxStatus | undefined,
            limit: Number(opts.limit) || 50,
          });
          const c = await repo.counts();
          io.err(
            `pending ${c.pending}, processing ${c.processing}, delivered ${c.delivered}, dead ${c.dead}`,
          );
          for (const r of page.items) {
            io.out(
              [
                r.id,
                r.status,
                r.kind,
                `${r.attempts}/${r.max_attempts}`,
                r.idempotency_key,
                r.last_error ?? '',
              ].join('\t'),
            );
          }
        },
        { readOnly: true },
      );
    });
  outbox
    .command('replay [id]')
    .description('Replay a dead row (fresh attempts), or every dead row with --all-dead')
    .option('--all-dead', 'replay every dead row')
    .action((id: string | undefined, opts: { allDead?: boolean }) => {
      if (!id && !opts.allDead) throw new CallwrightError('VALIDATION', 'give a row id or --all-dead');
      return withOutbox(async (repo) => {
        if (opts.allDead) io.out(`replayed ${await repo.replayAllDead()} dead row(s)`);
        else {
          const n = Number(id);
          if (!Number.isInteger(n) || n < 1)
            throw new CallwrightError(
              'VALIDATION',
              `id: got ${JSON.stringify(id)}, expected a row id (integer)`,
            );
          const row = await repo.replay(n);
          io.out(`replayed ${row.id} (${row.idempotency_key}): pending`);
        }
      });
    });
}
