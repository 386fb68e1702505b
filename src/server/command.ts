import cluster from 'node:cluster';
import { Command } from 'commander';
import { amqpUrlOption, mysqlUrlOption, redisClusterOption, redisUrlOption, settingOption, wholeNumber } from '../cli-options.js';
import { STRATEGY_NAMES } from '../strategies/names.js';

interface Flags {
  instances: number;
}

/** `start`: the API server, alone or as several processes behind one port. */
export function createServerCommand(): Command {
  return new Command('start')
    .description("Run the API server (with the consumers inside unless --no-consumer: the stream's, and the broker's once it is used).")
    .addOption(settingOption('-p, --port <port>', 'HTTP port; 0 picks a free one', 'PORT'))
    .addOption(settingOption('-s, --strategy <name>', 'issue strategy of a request that names none', 'ISSUE_STRATEGY').choices(STRATEGY_NAMES))
    .addOption(settingOption('--think-ms <ms>', 'work inside the critical section', 'THINK_MS'))
    .addOption(settingOption('--no-consumer', 'do not run the consumers in this process', 'CONSUMER_IN_PROCESS', 'it runs'))
    .option('-i, --instances <count>', 'server processes behind one port (node:cluster)', wholeNumber(1, 64), 1)
    .addOption(mysqlUrlOption())
    .addOption(redisUrlOption())
    .addOption(redisClusterOption())
    .addOption(amqpUrlOption())
    .action(async (flags: Flags, command: Command) => {
      const { exitOnListenError, loadConfigOrExit, requireServices, servicesFor, stopOnSignals } = await import('../cli-runtime.js');
      const { createLog } = await import('../core/log.js');
      const { redactUrl } = await import('../core/redis.js');
      const { startCluster, WorkerExitedError } = await import('./cluster.js');
      const { startServer } = await import('./server.js');
      const config = loadConfigOrExit(command);
      const log = createLog(config.LOG_LEVEL);
      if (cluster.isPrimary) await requireServices(command, config, servicesFor([config.ISSUE_STRATEGY])); // the workers start only after it passed
      // node:cluster workers run this same command again and land in the second branch.
      const server = await (cluster.isPrimary && flags.instances > 1 ? startCluster(config, flags.instances, log) : startServer(config, { log })).catch(
        (error: unknown) => {
          const { port } = error as { port?: number };
          // The API's port or METRICS_PORT: a listen error names the one it failed on.
          const which = port !== undefined && port === config.METRICS_PORT ? 'METRICS_PORT' : '--port or PORT';
          exitOnListenError(command, error, port, which);
          if (error instanceof WorkerExitedError) command.error(error.message, { exitCode: error.exitCode || 1 });
          throw error;
        },
      );
      // Before the line that says it listens: a signal sent on reading that line stops it gracefully.
      stopOnSignals(log, 'server', async () => {
        await server.stop();
        cluster.worker?.disconnect(); // the channel to the primary is the last thing keeping a worker alive
      });
      if (cluster.isPrimary) {
        if (!config.ADMIN_TOKEN) {
          log.warn('POST /v1/coupons and PATCH /v1/coupons/:couponId are open to anyone: set ADMIN_TOKEN to require a bearer token');
        }
        log.info(
          {
            url: server.url,
            listening: `0.0.0.0:${new URL(server.url).port}`, // every interface
            metrics: server.metricsUrl ?? `${server.url}/metrics`,
            instances: flags.instances,
            strategy: config.ISSUE_STRATEGY,
            consumer: config.CONSUMER_IN_PROCESS,
            mysql: redactUrl(config.MYSQL_URL),
            redis: redactUrl(config.REDIS_URL),
            redisKeyPrefix: config.REDIS_KEY_PREFIX,
          },
          'server listening',
        );
      }
    });
}
