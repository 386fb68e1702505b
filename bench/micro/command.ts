import { Command } from 'commander';
import { mysqlUrlOption, redisClusterOption, redisUrlOption, wholeNumber } from '../../src/cli-options.js';

/** `bench-micro`: prints what `runMicro` returns. */
export function createMicroCommand(): Command {
  return new Command('bench-micro')
    .description('Uncontended cost of one issue per strategy, next to the raw floor of each layer (tinybench).')
    .option('--time-ms <ms>', 'time spent on each task', wholeNumber(100, 600_000), 1_500)
    .option('--json', 'print the results as JSON')
    .addOption(mysqlUrlOption())
    .addOption(redisUrlOption())
    .addOption(redisClusterOption())
    .action(async (flags: { timeMs: number; json?: boolean }, command: Command) => {
      const { loadConfigOrExit, requireServices } = await import('../../src/cli-runtime.js');
      const { noteOtherBenches } = await import('../store.js');
      const { renderMicro, runMicro } = await import('./run-micro.js');
      const config = loadConfigOrExit(command);
      await requireServices(command, config);
      await noteOtherBenches('bench-micro', config);
      const results = await runMicro(config, flags.timeMs);
      process.stdout.write(flags.json ? `${JSON.stringify(results, null, 2)}\n` : `${renderMicro(results, flags.timeMs)}\n`);
    });
}
