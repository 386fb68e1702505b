import { Command } from 'commander';
import { wholeNumber } from '../src/cli-options.js';
import type { DemoFlags } from './run-demo.js';

/**
 * `demo`: starts the lab in this process, races a crowd for one small coupon through each
 * strategy over real HTTP — every request sent at once — and prints what MySQL holds afterwards.
 */
export function createDemoCommand(): Command {
  return new Command('demo')
    .description('Race a crowd for a coupon through every strategy over HTTP and count the rows in MySQL.')
    .option('--quantity <n>', 'coupons to hand out', wholeNumber(1, 1_000_000), 50)
    .option('--users <n>', 'distinct users in the crowd', wholeNumber(1, 100_000), 400)
    .option('--requests-per-user <n>', 'requests each user sends at once', wholeNumber(1, 100), 2)
    .action(async (flags: DemoFlags, command: Command) => {
      const { loadConfigOrExit, requireServices, whyUnreachable } = await import('../src/cli-runtime.js');
      const { runDemo } = await import('./run-demo.js');
      // The demo prints its own table, nothing else.
      const config = loadConfigOrExit(command, { PORT: '0', LOG_REQUESTS: 'none' });
      await requireServices(command, config);
      // The broker strategies need RabbitMQ as well; without it, the demo shows the others and says why not those.
      await runDemo(config, flags, { brokerDown: await whyUnreachable(config, 'broker') });
    });
}
