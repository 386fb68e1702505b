import { Command } from 'commander';
import { loadConfigOrExit } from '../cli-options.js';
import { prepareDatabase } from '../core/db.js';
import { log } from '../core/log.js';
import { createLab } from '../lab.js';
import { startConsumer } from './start-consumer.js';

/** `consumer`: the stream consumer as a process of its own; several may run at once. */
export function createConsumerCommand(): Command {
  return new Command('consumer')
    .description('Write what the lua strategy accepted to MySQL, as a process of its own (several may run at once).')
    .action(async (_flags: object, command: Command) => {
      const config = loadConfigOrExit(command);
      if (config.MIGRATE_ON_START) await prepareDatabase(config.MYSQL_URL);
      const lab = createLab(config);
      const consumer = startConsumer(lab);
      log.info('consumer started', { name: consumer.name });
      let stopping: Promise<void> | undefined;
      const stop = (signal: NodeJS.Signals) =>
        (stopping ??= (async () => {
          log.info('consumer stopping', { signal });
          await consumer.stop();
          await lab.close();
          log.info('consumer stopped', { ...consumer.totals });
        })());
      for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, stop);
    });
}
