import { Command, Option } from 'commander';
import { ConfigError, loadConfig, type Env } from '../core/config.js';
import { log } from '../core/log.js';
import { STRATEGY_NAMES } from '../strategies/index.js';
import { startServer } from './server.js';

const program = new Command('coupon-lab-server')
  .description('The Coupon Lab API server (with the stream consumer inside unless --no-consumer).')
  .option('-p, --port <port>', 'HTTP port (env PORT, default 8080)')
  .addOption(new Option('-s, --strategy <name>', 'default issue strategy (env ISSUE_STRATEGY)').choices(STRATEGY_NAMES))
  .option('--think-ms <ms>', 'work inside the critical section (env THINK_MS)')
  .option('--no-consumer', 'do not run the stream consumer in this process')
  .parse();

const flags = program.opts<{ port?: string; strategy?: string; thinkMs?: string; consumer: boolean }>();
const overrides: Env = {
  PORT: flags.port,
  ISSUE_STRATEGY: flags.strategy,
  THINK_MS: flags.thinkMs,
  ...(flags.consumer ? {} : { CONSUMER_IN_PROCESS: 'false' }),
};

try {
  const config = loadConfig(process.env, overrides);
  const server = await startServer(config);
  log.info('server listening', { url: server.url, strategy: config.ISSUE_STRATEGY, consumer: !!server.consumer });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, async () => {
      log.info('server stopping', { signal });
      await server.stop();
      log.info('server stopped');
    });
  }
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(2);
}
