import { Command, Option } from 'commander';
import { nameList } from '../../src/cli-options.js';
import { STRATEGY_NAMES, type StrategyName } from '../../src/strategies/names.js';
import { FAULT_NAMES, SCENARIOS } from './scenarios.js';

interface Flags {
  fault: string[];
  strategy?: StrategyName[];
  json?: boolean;
  out?: string;
  report?: string;
  markdown?: string;
}

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
      `strategies, a comma list, or all (${STRATEGY_NAMES.join(', ')}); default: those that claim to hold across processes`,
      nameList(STRATEGY_NAMES),
    )
    .option('--json', 'print the report as JSON instead of the table')
    .option('--out <file.json>', 'write the report as JSON')
    .option('--report <file.html>', 'write the report as a self-contained HTML page')
    .option('--markdown <file.md>', 'write the report as a results record (docs/results/<date>-<what>.md): machine, command, commit, tables; never over a file')
    .action(async (flags: Flags, command: Command) => {
      const { MissingBinaryError } = await import('../../harness/instances.js');
      const { runFaults } = await import('./run-faults.js');
      const { renderFaultHtml, renderFaultMarkdown, renderFaultTable } = await import('./render.js');
      const { shellWords } = await import('../output/markdown.js');
      const { prepareOutputFiles, writeOutputFile } = await import('../output/output-file.js');
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
      for (const [file, text] of [
        [flags.out, `${JSON.stringify(report, null, 2)}\n`],
        [flags.report, renderFaultHtml(report)],
      ] as const) {
        if (file) await writeOutputFile(file, text);
      }
      if (flags.markdown)
        await writeOutputFile(flags.markdown, renderFaultMarkdown(report, `coupon-lab ${shellWords(process.argv.slice(2))}`), { fresh: true });
      process.exitCode = report.ok ? 0 : 1;
    });
}
