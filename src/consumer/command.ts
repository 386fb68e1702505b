import { Command } from 'commander';
import { mysqlUrlOption, redisClusterOption, redisUrlOption, settingOption } from '../cli-options.js';

/** Where a consumer of its own serves `/metrics` when METRICS_PORT is unset. */
const DEFAULT_METRICS_PORT = 9464;

/** `consumer`: the stream consumer as a process of its own; several may run at once. */
export function createConsumerCommand(): Command {
  return new Command('consumer')
    .description('Write what the lua strategy accepted to MySQL, as a process of its own (several may run at once, each with its own --metrics-port).')
    .addOption(settingOption('--metrics-port <port>', 'port of GET /metrics; 0 picks a free one', 'METRICS_PORT', DEFAULT_METRICS_PORT))
    .addOption(mysqlUrlOption())
    .addOption(redisUrlOption())
    .addOption(redisClusterOption())
    .action(async (_flags: object, command: Command) => {
      const { loadConfigOrExit, requireServices, stopOnSignals } = await import('../cli-runtime.js');
      const { prepareDatabase } = await import('../core/db.js');
      const { serveMetrics } = await import('../core/metrics-server.js');
      const { createLab } = await import('../lab.js');
      const { startConsumer } = await import('./start-consumer.js');
      const config = loadConfigOrExit(command);
      await requireServices(command, config);
      const lab = createLab(config);
      const { log } = lab;
      if (config.MIGRATE_ON_START) await prepareDatabase(config.MYSQL_URL, log);
      const metricsPort = config.METRICS_PORT ?? DEFAULT_METRICS_PORT;
      const metrics = await serveMetrics(lab.metrics.registry, metricsPort).catch(async (error: unknown) => {
        await lab.close();
        if ((error as { code?: string }).code === 'EADDRINUSE') {
          command.error(`port ${metricsPort} is already in use; choose another with --metrics-port or METRICS_PORT`, { exitCode: 2 });
        }
        throw error;
      });
      const consumer = startConsumer(lab);
      // Before the line that says it started: a signal sent on reading that line stops it gracefully.
      stopOnSignals(log, 'consumer', async () => {
        await consumer.stop();
        await metrics.close();
        await lab.close();
        log.info({ ...consumer.totals }, 'consumer totals');
      });
      log.info({ name: consumer.name, metrics: metrics.url }, 'consumer started');
    });
}
