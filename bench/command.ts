import { Command, Option } from 'commander';
import { nameList, wholeNumber } from '../src/cli-options.js';
import { STRATEGY_NAMES, type StrategyName } from '../src/strategies/names.js';
import type { BenchMode, BenchSettings } from './report.js';

function instanceList(text: string): number[] {
  return text.split(',').map((part) => wholeNumber(1, 16)(part.trim()));
}

interface Flags {
  strategy: StrategyName[];
  users: number;
  requestsPerUser: number;
  quantity: number;
  concurrency: number;
  mode: BenchMode;
  instances: number[];
  duration?: number;
  thinkMs: number;
  repeat: number;
  lockWaitMs?: number;
  lockLeaseMs?: number;
  lockRetryDelayMs?: number;
  poolSize?: number;
  redisUrl?: string;
  mysqlUrl?: string;
  floors?: boolean;
  json?: boolean;
  out?: string;
  report?: string;
  markdown?: string;
  progress: boolean;
  redisCluster?: boolean;
}

/** `bench`: a thin shell over `runBench`, which returns data; this only parses, prints and writes. */
export function createBenchCommand(): Command {
  return new Command('bench')
    .description('Race a crowd for a fresh coupon through each strategy, then verify in MySQL and report.')
    .addOption(
      new Option('-s, --strategy <names>', `a strategy, a comma list, or all (${STRATEGY_NAMES.join(', ')})`)
        .argParser(nameList(STRATEGY_NAMES))
        .default([...STRATEGY_NAMES], 'all'),
    )
    .option('-u, --users <n>', 'distinct users in the crowd', wholeNumber(1), 1000)
    .option('-r, --requests-per-user <n>', 'requests each user sends', wholeNumber(1, 1000), 1)
    .option('-q, --quantity <n>', 'coupons to hand out', wholeNumber(1, 1_000_000_000), 100)
    .option('-c, --concurrency <n>', 'requests in flight at once (connections in http mode)', wholeNumber(1, 10_000), 100)
    .addOption(
      new Option('-m, --mode <mode>', 'http: real servers over HTTP; direct: the strategy in this process').choices(['http', 'direct']).default('http'),
    )
    .addOption(
      new Option('-i, --instances <k[,k…]>', 'server processes behind one port; a list runs each (http mode)').argParser(instanceList).default([1], '1'),
    )
    .option('-d, --duration <seconds>', 'sustained load with fresh users instead of one crowd', wholeNumber(1, 3600))
    .option('--think-ms <ms>', 'work inside the critical section', wholeNumber(0, 10_000), 0)
    .option('--repeat <n>', 'runs per strategy; medians are reported', wholeNumber(1, 100), 1)
    .option('--lock-wait-ms <ms>', 'LOCK_WAIT_MS for this run', wholeNumber(1))
    .option('--lock-lease-ms <ms>', 'LOCK_LEASE_MS for this run', wholeNumber(1))
    .option('--lock-retry-delay-ms <ms>', 'LOCK_RETRY_DELAY_MS for this run', wholeNumber(1))
    .option('--pool-size <n>', 'MYSQL_POOL_SIZE for this run', wholeNumber(1, 1000))
    .option('--redis-cluster', 'REDIS_URL names a Redis Cluster: its seed nodes, comma-separated (REDIS_CLUSTER=true)')
    .option('--redis-url <url>', 'REDIS_URL (default: the environment, as for the server); keys under <prefix>bench:<run id>:, deleted at the end')
    .option(
      '--mysql-url <url>',
      'MYSQL_URL (default: the environment, as for the server); each run works in a database of its own, <database>_bench_<run id>, dropped at the end',
    )
    .option('--floors', 'also measure the raw floor of each layer (EVALSHA, FOR UPDATE loop, bulk insert, drain)')
    .option('--json', 'print the report as JSON instead of the table')
    .option('--out <file.json>', 'write the report as JSON')
    .option('--report <file.html>', 'write the report as a self-contained HTML page with charts')
    .option('--markdown <file.md>', 'write the report as a results record (docs/results/<date>-<what>.md): machine, command, commit, tables; never over a file')
    .option('--no-progress', 'no progress on stderr (a line per run, rewritten in place on a terminal)')
    .action(async (flags: Flags, command: Command) => {
      const { loadConfigOrExit, requireServices } = await import('../src/cli-runtime.js');
      const { runBench } = await import('./run-bench.js');
      const { renderTable } = await import('./output/render-table.js');
      const { renderHtml } = await import('./output/render-html.js');
      const { renderBenchMarkdown } = await import('./output/render-markdown.js');
      const { shellWords } = await import('./output/markdown.js');
      const { prepareOutputFiles, writeOutputFile } = await import('./output/output-file.js');
      const { progressOn } = await import('./output/progress.js');
      const { noteOtherBenches } = await import('./store.js');
      if (flags.mode === 'direct' && flags.instances.some((k) => k !== 1)) {
        command.error('--instances starts server processes: it needs --mode http', { exitCode: 2 });
      }
      const config = loadConfigOrExit(command, {
        THINK_MS: String(flags.thinkMs),
        LOCK_WAIT_MS: flags.lockWaitMs?.toString(),
        LOCK_LEASE_MS: flags.lockLeaseMs?.toString(),
        LOCK_RETRY_DELAY_MS: flags.lockRetryDelayMs?.toString(),
        MYSQL_POOL_SIZE: flags.poolSize?.toString(),
        REDIS_URL: flags.redisUrl,
        REDIS_CLUSTER: flags.redisCluster ? 'true' : undefined,
        MYSQL_URL: flags.mysqlUrl,
      });
      await requireServices(command, config);
      await prepareOutputFiles(command, [flags.out, flags.report], [flags.markdown]);
      if (flags.progress) await noteOtherBenches('bench', config);
      const settings: BenchSettings = {
        mode: flags.mode,
        strategies: flags.strategy,
        instances: flags.instances,
        users: flags.users,
        requestsPerUser: flags.requestsPerUser,
        quantity: flags.quantity,
        concurrency: flags.concurrency,
        ...(flags.duration ? { durationS: flags.duration } : {}),
        thinkMs: config.THINK_MS,
        repeat: flags.repeat,
        lockWaitMs: config.LOCK_WAIT_MS,
        lockLeaseMs: config.LOCK_LEASE_MS,
        lockRetryDelayMs: config.LOCK_RETRY_DELAY_MS,
        mysqlPoolSize: config.MYSQL_POOL_SIZE,
        redisCluster: config.REDIS_CLUSTER,
      };
      const report = await runBench({ settings, config, floors: flags.floors === true, progress: progressOn(flags.progress ? process.stderr : undefined) });
      process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : `${renderTable(report)}\n`);
      if (flags.out) await writeOutputFile(flags.out, `${JSON.stringify(report, null, 2)}\n`);
      if (flags.report) await writeOutputFile(flags.report, renderHtml(report));
      if (flags.markdown)
        await writeOutputFile(flags.markdown, renderBenchMarkdown(report, `coupon-lab ${shellWords(process.argv.slice(2))}`), { fresh: true });
      process.exitCode = report.ok ? 0 : 1;
    });
}
