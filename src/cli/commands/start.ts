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
      // First SIGTERM/SIGINT: graceful drain (docs/operations.md); a second one: stop at once.
      await new Promise<void>((resolve, reject) => {
        let signals = 0;
        const onSignal = (signal: NodeJS.Signals): void => {
          signals++;
          if (signals === 1) {
            io.err(
              `${signal}: draining (new calls refused; calls in progress go on). Send it again to stop now.`,
            );
            server.drain().then(() => resolve(), reject);
            return;
          }
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
          io.err(`${signal} again: stopping now`);
          void server.stopNow();
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
      });
    });
}
