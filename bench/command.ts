import { Command, Option } from 'commander';
import { duration, mysqlUrlOption, redisClusterOption, redisUrlOption, settingOption, strategiesOption, wholeNumber } from '../src/cli-options.js';
import type { StrategyName } from '../src/strategies/names.js';
import type { BenchMode, CrowdKind } from './report.js';
import { benchSettings, RACE_LIMITS, type Race } from './settings.js';

const within = ({ min, max }: { min: number; max: number }) => wholeNumber(min, max);

function instanceList(text: string): number[] {
  return text.split(',').map((part) => within(RACE_LIMITS.instances)(part.trim()));
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
  repeat: number;
  floors?: boolean;
  json?: boolean;
  out?: string;
  report?: string;
  markdown?: string;
  progress: boolean;
  privateCluster?: number;
  crowd: CrowdKind;
}

/** `bench`: a thin shell over `runBench`, which returns data; this only parses, prints and writes. */
export function createBenchCommand(): Command {
  return new Command('bench')
    .description('Race a crowd for a fresh coupon through each strategy, then verify in MySQL and report.')
    .addOption(strategiesOption())
    .option('-u, --users <n>', 'distinct users in the crowd', within(RACE_LIMITS.users), 1000)
    .option('-r, --requests-per-user <n>', 'requests each user sends', within(RACE_LIMITS.requestsPerUser), 1)
    .option('-q, --quantity <n>', 'places on the coupon: how many users can get it', within(RACE_LIMITS.quantity), 100)
    .option('-c, --concurrency <n>', 'requests in flight at once (connections in http mode)', within(RACE_LIMITS.concurrency), 100)
    .addOption(
      new Option('-m, --mode <mode>', 'http: real servers over HTTP; direct: the strategy in this process').choices(['http', 'direct']).default('http'),
    )
    .addOption(
      new Option('-i, --instances <k[,k…]>', 'server processes behind one port; a list runs each (http mode)').argParser(instanceList).default([1], '1'),
    )
    .option(
      '-d, --duration <time>',
      'sustained load with fresh users for this long: 30, 30s, 2m (default: one crowd, no duration)',
      duration(RACE_LIMITS.durationS.min, RACE_LIMITS.durationS.max),
    )
    .addOption(settingOption('--think-ms <ms>', 'work inside the critical section', 'THINK_MS').argParser(wholeNumber(0, 10_000)))
    .option('--repeat <n>', 'runs per strategy; medians are reported', within(RACE_LIMITS.repeat), 1)
    .addOption(settingOption('--lock-wait-ms <ms>', 'how long a request may wait for a lock', 'LOCK_WAIT_MS').argParser(wholeNumber(1)))
    .addOption(settingOption('--lock-lease-ms <ms>', "the Redis lock's lease", 'LOCK_LEASE_MS').argParser(wholeNumber(1)))
    .addOption(
      settingOption('--lock-retry-delay-ms <ms>', 'pause between two attempts to take the Redis lock', 'LOCK_RETRY_DELAY_MS').argParser(wholeNumber(1)),
    )
    .addOption(settingOption('--pool-size <n>', 'MySQL connections per process', 'MYSQL_POOL_SIZE').argParser(wholeNumber(1, 1000)))
    .option('--floors', 'also measure the raw floor of each layer (EVALSHA, FOR UPDATE loop, bulk insert, drain)')
    .option('--json', 'print the report as JSON instead of the table')
    .option('--out <file.json>', 'write the report as JSON (default: none written)')
    .option('--report <file.html>', 'write the report as a self-contained HTML page with charts (default: none written)')
    .option(
      '--markdown <file.md>',
      'write the report as a results record (docs/results/<date>-<what>.md): machine, command, commit, tables; never over a file (default: none written)',
    )
    .option('--no-progress', 'no progress on stderr (a line per run, rewritten in place on a terminal)')
    .addOption(mysqlUrlOption('each run works in a database of its own, <database>_bench_<run id>, dropped at the end'))
    .addOption(redisUrlOption('keys under <prefix>bench:<run id>:, deleted at the end'))
    .addOption(redisClusterOption())
    .option(
      '--private-cluster <masters>',
      'start a private Redis Cluster of this many masters for the run (harness/), and bench on it (default: none, the Redis of --redis-url)',
      wholeNumber(3, 9),
    )
    .addOption(
      new Option('--crowd <kind>', 'uniform: users 1, 2, 3, …; skewed: only users whose lua-buckets home bucket is the first')
        .choices(['uniform', 'skewed'])
        .default('uniform'),
    )
    .action(async (flags: Flags, command: Command) => {
      if (flags.mode === 'direct' && flags.instances.some((k) => k !== 1)) {
        command.error('--instances starts server processes: it needs --mode http', { exitCode: 2 });
      }
      const redisGiven = ['redisUrl', 'redisCluster'].some((name) => command.getOptionValueSource(name) === 'cli');
      if (flags.privateCluster && redisGiven) {
        command.error('--private-cluster starts a cluster of its own: leave out --redis-url and --redis-cluster', { exitCode: 2 });
      }
      if (!flags.privateCluster) return benchWith(flags, command, undefined);
      const { startRedisCluster } = await import('../harness/instances.js');
      const cluster = await startRedisCluster(flags.privateCluster);
      try {
        await benchWith(flags, command, cluster.url);
      } finally {
        await cluster.stop();
      }
    });
}

/** The bench itself, on `clusterUrl` if a private cluster was started for it. */
async function benchWith(flags: Flags, command: Command, clusterUrl: string | undefined): Promise<void> {
  const { loadConfigOrExit, requireServices, servicesFor } = await import('../src/cli-runtime.js');
  const config = loadConfigOrExit(command, clusterUrl ? { REDIS_URL: clusterUrl, REDIS_CLUSTER: 'true' } : {});
  // The first servers start now, while the rest of the bench loads and the services are asked: a
  // server takes as long to start. A check that fails below ends the command, and them with it.
  const { startRun } = await import('./run-start.js');
  const start = startRun({ mode: flags.mode, instances: flags.instances }, config);
  const { runBench } = await import('./run-bench.js');
  const { renderTable } = await import('./output/render-table.js');
  const { renderHtml } = await import('./output/render-html.js');
  const { renderBenchMarkdown } = await import('./output/render-markdown.js');
  const { shellWords } = await import('./output/markdown.js');
  const { prepareOutputFiles, writeOutputFiles } = await import('./output/output-file.js');
  const { progressOn } = await import('./output/progress.js');
  const { noteOtherBenches } = await import('./store.js');
  await requireServices(command, config, servicesFor(flags.strategy));
  await prepareOutputFiles(command, [flags.out, flags.report], [flags.markdown]);
  if (flags.progress) await noteOtherBenches('bench', config);
  const race: Race = {
    mode: flags.mode,
    strategies: flags.strategy,
    instances: flags.instances,
    users: flags.users,
    requestsPerUser: flags.requestsPerUser,
    quantity: flags.quantity,
    concurrency: flags.concurrency,
    ...(flags.duration ? { durationS: flags.duration } : {}),
    repeat: flags.repeat,
  };
  const settings = { ...benchSettings(race, config), ...(flags.crowd === 'skewed' ? { crowd: flags.crowd } : {}) };
  const report = await runBench({ settings, config, floors: flags.floors === true, progress: progressOn(flags.progress ? process.stderr : undefined), start });
  process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : `${renderTable(report)}\n`);
  const written = await writeOutputFiles([
    { path: flags.out, text: `${JSON.stringify(report, null, 2)}\n` },
    { path: flags.report, text: renderHtml(report) },
    { path: flags.markdown, text: renderBenchMarkdown(report, `coupon-lab ${shellWords(process.argv.slice(2))}`), fresh: true },
  ]);
  // A verdict not as expected first: a file written elsewhere is said on its own line.
  process.exitCode = !report.ok ? 1 : written ? 0 : 2;
}
