import { Command } from 'commander';
import { amqpUrlOption, mysqlUrlOption, redisClusterOption, redisUrlOption, strategiesOption, wholeNumber } from '../src/cli-options.js';
import { usesBroker } from '../src/strategies/names.js';
import type { DemoFlags } from './run-demo.js';

/**
 * `demo`: starts the lab in this process, races a crowd for one small coupon through each
 * strategy over real HTTP — every request sent at once — and prints what MySQL holds afterwards.
 */
export function createDemoCommand(): Command {
  return new Command('demo')
    .description('Race a crowd for a coupon through each strategy over HTTP and count the rows in MySQL.')
    .addOption(strategiesOption())
    .option('-u, --users <n>', 'distinct users in the crowd', wholeNumber(1, 100_000), 400)
    .option('-r, --requests-per-user <n>', 'requests each user sends at once', wholeNumber(1, 100), 2)
    .option('-q, --quantity <n>', 'places on the coupon: how many users can get it', wholeNumber(1, 1_000_000), 50)
    .addOption(mysqlUrlOption())
    .addOption(redisUrlOption())
    .addOption(redisClusterOption())
    .addOption(amqpUrlOption())
    .action(async (flags: DemoFlags, command: Command) => {
      const { loadConfigOrExit, requireServices, whyUnreachable } = await import('../src/cli-runtime.js');
      const { runDemo } = await import('./run-demo.js');
      // The demo prints its own table, nothing else.
      const config = loadConfigOrExit(command, { PORT: '0', LOG_REQUESTS: 'none' });
      await requireServices(command, config);
      // The broker strategies need RabbitMQ as well; without it, the demo shows the others and says why not those.
      const brokerDown = flags.strategy.some(usesBroker) ? await whyUnreachable(config, 'broker') : undefined;
      await runDemo(config, flags, { brokerDown });
    });
}
