import type { Command } from 'commander';
import { loadCliConfig, withStore, type Io } from '../context.js';

export function keysCommand(program: Command, io: Io): void {
  const keys = program.command('keys').description('Manage admin API keys (stored hashed; shown once)');
  keys
    .command('create')
    .description('Create an API key and print it once')
    .option('-n, --name <name>', 'a label for the key', 'admin')
    .action((opts: { name: string }) =>
      withStore(loadCliConfig(program.opts()), async (store) => {
        const { record, token } = await store.apiKeys.create(opts.name);
        io.out(token);
        io.err(
          `created key ${record.id} (${record.prefix}…) named ${JSON.stringify(record.name)}; it is not shown again`,
        );
      }),
    );
  keys
    .command('list')
    .description('List API keys (prefix, name, created, last used, revoked)')
    .action(() =>
      withStore(
        loadCliConfig(program.opts()),
        async (store) => {
          for (const k of await store.apiKeys.list()) {
            io.out(
              [
                k.id,
                k.prefix + '…',
                k.name,
                k.created_at,
                k.last_used_at ?? '-',
                k.revoked_at ? `revoked ${k.revoked_at}` : 'active',
              ].join('\t'),
            );
          }
        },
        { readOnly: true },
      ),
    );
  keys
    .command('revoke <idOrPrefix>')
    .description('Revoke a key by id or printed prefix')
    .action((idOrPrefix: string) =>
      withStore(loadCliConfig(program.opts()), async (store) => {
        await store.apiKeys.revoke(idOrPrefix);
        io.out(`revoked ${idOrPrefix}`);
      }),
    );
}
