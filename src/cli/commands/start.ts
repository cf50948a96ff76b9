import type { Command } from 'commander';
import { startServer } from '../../server.js';
import { assertStartable } from '../../config/startup-checks.js';
import { loadCliConfig, type Io } from '../context.js';

export function startCommand(program: Command, io: Io): void {
  program
    .command('start')
    .description('Start the server: admin API, telephony backend and delivery worker')
    .action(async () => {
      const config = loadCliConfig(program.opts());
      // Every rule is checked before the database and the first API key are created.
      assertStartable(config);
      const server = await startServer(config, { io });
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          void server.stop().then(resolve);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
}
