import cluster from 'node:cluster';
import { Command, Option } from 'commander';
import { ConfigError, loadConfig, type Env } from '../core/config.js';
import { log } from '../core/log.js';
import { STRATEGY_NAMES } from '../strategies/index.js';
import { startCluster } from './cluster.js';
import { startServer } from './server.js';

const program = new Command('coupon-lab-server')
  .description('The Coupon Lab API server (with the stream consumer inside unless --no-consumer).')
  .option('-p, --port <port>', 'HTTP port (env PORT, default 8080)')
  .addOption(new Option('-s, --strategy <name>', 'default issue strategy (env ISSUE_STRATEGY)').choices(STRATEGY_NAMES))
  .option('--think-ms <ms>', 'work inside the critical section (env THINK_MS)')
  .option('--no-consumer', 'do not run the stream consumer in this process')
  .option('-i, --instances <count>', 'server processes behind one port (node:cluster)', '1')
  .parse();

const flags = program.opts<{ port?: string; strategy?: string; thinkMs?: string; consumer: boolean; instances: string }>();
const instances = Number(flags.instances);
if (!Number.isInteger(instances) || instances < 1 || instances > 64) program.error('--instances: a whole number from 1 to 64');
const overrides: Env = {
  PORT: flags.port,
  ISSUE_STRATEGY: flags.strategy,
  THINK_MS: flags.thinkMs,
  ...(flags.consumer ? {} : { CONSUMER_IN_PROCESS: 'false' }),
};

try {
  const config = loadConfig(process.env, overrides);
  const server = cluster.isPrimary && instances > 1 ? await startCluster(config, instances) : await startServer(config);
  if (cluster.isPrimary) {
    log.info('server listening', { url: server.url, instances, strategy: config.ISSUE_STRATEGY, consumer: config.CONSUMER_IN_PROCESS });
  }
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, async () => {
      log.info('server stopping', { signal, pid: process.pid });
      await server.stop();
      log.info('server stopped', { pid: process.pid });
      cluster.worker?.disconnect(); // the channel to the primary is the last thing keeping a worker alive
    });
  }
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(2);
}
