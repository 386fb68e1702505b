import { Command } from 'commander';
import { amqpUrlOption, mysqlUrlOption, redisClusterOption, redisUrlOption, settingOption } from '../cli-options.js';
import type { Service } from '../cli-runtime.js';
import type { Lab } from '../lab.js';

/** Where a consumer of its own serves `/metrics` when METRICS_PORT is unset. */
const DEFAULT_METRICS_PORT = 9464;

/** What a consumer command runs: it writes rows and counts them, and stops on a signal. */
interface RunningConsumer {
  readonly name: string;
  readonly totals: object;
  stop(): Promise<void>;
}

interface ConsumerKind {
  name: string;
  description: string;
  /** The services it cannot start without. */
  services: Service[];
  start(lab: Lab): Promise<RunningConsumer>;
}

/** `consumer`: the stream consumer as a process of its own; several may run at once. */
export function createConsumerCommand(): Command {
  return consumerCommand({
    name: 'consumer',
    description: 'Write what the lua strategy accepted to MySQL, as a process of its own (several may run at once, each with its own --metrics-port).',
    services: ['mysql', 'redis'],
    start: async (lab) => (await import('./start-consumer.js')).startConsumer(lab),
  });
}

/** `broker-consumer`: the broker strategies' consumer as a process of its own; several may run at once. */
export function createBrokerConsumerCommand(): Command {
  return consumerCommand({
    name: 'broker-consumer',
    description:
      'Write what the broker strategies (incr-broker, incr-broker-confirm) accepted to MySQL, from their RabbitMQ queue, as a process of its own (several may run at once, each with its own --metrics-port).',
    services: ['mysql', 'broker'],
    start: async (lab) => (await import('./start-consumer.js')).startQueueConsumer(lab),
  });
}

function consumerCommand(kind: ConsumerKind): Command {
  const definition = new Command(kind.name)
    .description(kind.description)
    .addOption(settingOption('--metrics-port <port>', 'port of GET /metrics; 0 picks a free one', 'METRICS_PORT', DEFAULT_METRICS_PORT))
    .addOption(mysqlUrlOption())
    .addOption(redisUrlOption())
    .addOption(redisClusterOption());
  if (kind.services.includes('broker')) definition.addOption(amqpUrlOption());
  return definition.action(async (_flags: object, command: Command) => {
    const { exitOnListenError, loadConfigOrExit, requireServices, stopOnSignals } = await import('../cli-runtime.js');
    const { prepareDatabase } = await import('../core/db.js');
    const { serveMetrics } = await import('../core/metrics-server.js');
    const { createLab } = await import('../lab.js');
    const config = loadConfigOrExit(command);
    await requireServices(command, config, kind.services);
    const lab = createLab(config);
    const { log } = lab;
    if (config.MIGRATE_ON_START) await prepareDatabase(config.MYSQL_URL, log);
    const metricsPort = config.METRICS_PORT ?? DEFAULT_METRICS_PORT;
    const metrics = await serveMetrics(lab.metrics.registry, metricsPort).catch(async (error: unknown) => {
      await lab.close();
      exitOnListenError(command, error, metricsPort, '--metrics-port or METRICS_PORT');
      throw error;
    });
    const consumer = await kind.start(lab);
    // Before the line that says it started: a signal sent on reading that line stops it gracefully.
    stopOnSignals(log, kind.name, async () => {
      await consumer.stop();
      await metrics.close();
      await lab.close();
      log.info({ ...consumer.totals }, `${kind.name} totals`);
    });
    log.info({ name: consumer.name, metrics: metrics.url }, `${kind.name} started`);
  });
}
