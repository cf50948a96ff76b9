import type { Command } from 'commander';
import { loadCliConfig, openStore, type Io } from '../context.js';

export function keysCommand(program: Command, io: Io): void {
  const keys = program.command('keys').description('Manage admin API keys (stored hashed; shown once)');
  keys
    .command('create')
    .description('Create an API key and print it once')
    .option('-n, --name <name>', 'a label for the key', 'admin')
    .action((opts: { name: string }) => {
      const store = openStore(loadCliConfig(program.opts()));
      try {
        const { record, token } = store.apiKeys.create(opts.name);
        io.out(token);
        io.err(
          `created key ${record.id} (${record.prefix}…) named ${JSON.stringify(record.name)}; it is not shown again`,
        );
      } finally {
        store.close();
      }
    });
  keys
    .command('list')
    .description('List API keys (prefix, name, created, last used, revoked)')
    .action(() => {
      const store = openStore(loadCliConfig(program.opts()));
      try {
        for (const k of store.apiKeys.list()) {
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
      } finally {
        store.close();
      }
    });
  keys
    .command('revoke <idOrPrefix>')
    .description('Revoke a key by id or printed prefix')
    .action((idOrPrefix: string) => {
      const store = openStore(loadCliConfig(program.opts()));
      try {
        store.apiKeys.revoke(idOrPrefix);
        io.out(`revoked ${idOrPrefix}`);
      } finally {
        store.close();
      }
    });
}
