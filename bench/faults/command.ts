import { Command, Option } from 'commander';
import { nameList } from '../../src/cli-options.js';
import { STRATEGY_NAMES, STRATEGY_VARIANTS, type StrategyChoice } from '../../src/strategies/names.js';
import { FAULT_NAMES, SCENARIOS } from './scenarios.js';

interface Flags {
  fault: string[];
  strategy?: StrategyChoice[];
  json?: boolean;
  out?: string;
  report?: string;
  markdown?: string;
}

/** What --strategy takes: the strategies, then each strategy under each of its variants. */
const CHOICES: readonly StrategyChoice[] = [...STRATEGY_NAMES, ...STRATEGY_VARIANTS];

/** `faults`: a thin shell over `runFaults`, which returns data; this only parses, prints and writes. */
export function createFaultsCommand(): Command {
  return new Command('faults')
    .description(
      'Inject faults into private Redis and MariaDB instances and server processes started for the run, under a crowd per strategy; then verify in MySQL.',
    )
    .addOption(
      new Option('-f, --fault <names>', `a fault, a comma list, or all (${FAULT_NAMES.join(', ')})`)
        .argParser(nameList(FAULT_NAMES))
        .default(FAULT_NAMES, 'all'),
    )
    .option(
      '-s, --strategy <names>',
      `strategies, a comma list, or all (${CHOICES.join(', ')}); a variant runs only when named, as redis-lock:watchdog (default: those that claim to hold across processes, with their variants)`,
      nameList(CHOICES),
    )
    .option('--json', 'print the report as JSON instead of the table')
    .option('--out <file.json>', 'write the report as JSON (default: none written)')
    .option('--report <file.html>', 'write the report as a self-contained HTML page (default: none written)')
    .option(
      '--markdown <file.md>',
      'write the report as a results record (docs/results/<date>-<what>.md): machine, command, commit, tables; never over a file (default: none written)',
    )
    .action(async (flags: Flags, command: Command) => {
      const { MissingBinaryError } = await import('../../harness/instances.js');
      const { runFaults } = await import('./run-faults.js');
      const { renderFaultHtml, renderFaultMarkdown, renderFaultTable } = await import('./render.js');
      const { shellWords } = await import('../output/markdown.js');
      const { prepareOutputFiles, writeOutputFiles } = await import('../output/output-file.js');
      await prepareOutputFiles(command, [flags.out, flags.report], [flags.markdown]);
      const report = await runFaults({
        scenarios: SCENARIOS.filter((scenario) => flags.fault.includes(scenario.fault)),
        ...(flags.strategy ? { strategies: flags.strategy } : {}),
        onStep: (line) => process.stderr.write(`faults: ${line}\n`),
      }).catch((error: unknown) => {
        if (error instanceof MissingBinaryError) command.error(error.message, { exitCode: 2 });
        throw error;
      });
      process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : `${renderFaultTable(report)}\n`);
      const written = await writeOutputFiles([
        { path: flags.out, text: `${JSON.stringify(report, null, 2)}\n` },
        { path: flags.report, text: renderFaultHtml(report) },
        { path: flags.markdown, text: renderFaultMarkdown(report, `coupon-lab ${shellWords(process.argv.slice(2))}`), fresh: true },
      ]);
      process.exitCode = !report.ok ? 1 : written ? 0 : 2;
    });
}
