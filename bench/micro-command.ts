import { Command } from 'commander';
import { wholeNumber } from '../src/cli-options.js';

/** `bench-micro`: prints what `runMicro` returns. */
export function createMicroCommand(): Command {
  return new Command('bench-micro')
    .description('Uncontended cost of one issue per strategy, next to the raw floor of each layer (tinybench).')
    .option('--time-ms <ms>', 'time spent on each task', wholeNumber(100, 600_000), 1_500)
    .option('--json', 'print the results as JSON', false)
    .action(async (flags: { timeMs: number; json: boolean }, command: Command) => {
      const { loadConfigOrExit, requireServices } = await import('../src/cli-runtime.js');
      const { runMicro } = await import('./micro.js');
      const config = loadConfigOrExit(command);
      await requireServices(command, config);
      const results = await runMicro(config, flags.timeMs);
      if (flags.json) return void process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
      console.log(`Uncontended cost of one call, one call at a time, ${flags.timeMs} ms per task`);
      console.table(
        results.map((r) => ({
          task: r.task,
          'mean ms': Number(r.meanMs.toFixed(3)),
          'p99 ms': Number(r.p99Ms.toFixed(3)),
          'ops/s': Math.round(r.opsPerS),
          samples: r.samples,
        })),
      );
    });
}
