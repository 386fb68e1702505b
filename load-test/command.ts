import { spawnSync } from 'node:child_process';
import { Command, InvalidArgumentError, Option } from 'commander';
import { duration, mysqlUrlOption, redisClusterOption, redisUrlOption, wholeNumber } from '../src/cli-options.js';
import { STRATEGY_NAMES, type StrategyName } from '../src/strategies/names.js';
import { progressOn, type Progress } from '../bench/output/progress.js';
import { findLocust } from './locust.js';
import type { Endpoint, Generator } from './report.js';

interface Flags {
  strategy: StrategyName;
  connections: number;
  duration: number;
  quantity: number;
  spawnRate?: number;
  endpoint: Endpoint;
  host?: string;
  instances: number;
  json: boolean;
  progress: boolean;
  giveUpAfter: number;
}

/** `load-locust`: Locust, then autocannon, on the same endpoint with as many requests in flight, for as long. */
export function createLoadLocustCommand(): Command {
  return loadCommand('load-locust', ['locust', 'autocannon'])
    .description('Load the API with Locust, then autocannon alike (same endpoint, connections, duration), each on a fresh coupon; compare and check MySQL.')
    .option('--spawn-rate <n>', 'Locust users started per second (default: all of them in the first second)', wholeNumber(1, 100_000));
}

/** `load-autocannon`: the same run with autocannon alone. */
export function createLoadAutocannonCommand(): Command {
  return loadCommand('load-autocannon', ['autocannon']).description(
    'Load the API with autocannon for a while on a fresh coupon, then check the coupon in MySQL.',
  );
}

/** The shell both commands share: parse, find Locust if needed, run, print. */
function loadCommand(name: string, generators: Generator[]): Command {
  // The help of each says what its own generators do.
  const both = generators.length > 1;
  const connections = both ? 'Locust users and autocannon connections' : 'autocannon connections';
  return new Command(name)
    .addOption(new Option('-s, --strategy <name>', 'issue strategy').choices(STRATEGY_NAMES).default('lua'))
    .option('--connections <n>', `${connections}, each keeping one request in flight`, wholeNumber(1, 10_000), 100)
    .addOption(new Option('-u, --users <n>').hideHelp().argParser(noUsers))
    .addOption(
      new Option('-d, --duration <time>', `how long ${both ? 'each generator' : 'it'} runs: 30, 30s, 2m, 1m30s`)
        .argParser(duration(1, 86_400))
        .default(30, '30s'),
    )
    .option('-q, --quantity <n>', `places on ${both ? "each generator's" : 'its'} fresh coupon: how many users can get it`, wholeNumber(1, 1_000_000_000), 100)
    .addOption(
      new Option('--endpoint <name>', "issue: POST the strategy's issue path; hello: GET /hello, the baseline").choices(['issue', 'hello']).default('issue'),
    )
    .option(
      '--host <url>',
      'load this running server instead of starting one (its MySQL must be --mysql-url, its ADMIN_TOKEN, if any, in the environment) (default: a server started here)',
      httpUrl,
    )
    .option('-i, --instances <n>', 'server processes to start behind one port (with --host: how many it runs)', wholeNumber(1, 64), 1)
    .addOption(
      new Option('--give-up-after <time>', 'stop waiting for the consumer to write a coupon once it has written nothing for this long')
        .argParser(duration(1, 86_400))
        .default(15, '15s'),
    )
    .option('--json', 'print the result as JSON instead of the table')
    .option('--no-progress', 'no progress on stderr (a line per step, rewritten in place on a terminal)')
    .addOption(mysqlUrlOption("the started server's, where the coupons are checked (with --host: the running server's)"))
    .addOption(redisUrlOption("the started server's"))
    .addOption(redisClusterOption())
    .action(async (flags: Flags, command: Command) => {
      const { loadConfigOrExit, requireServices } = await import('../src/cli-runtime.js');
      const { runLoadTest } = await import('./run-load-test.js');
      const { renderLoadTest } = await import('./render.js');
      const config = loadConfigOrExit(command);
      // A server started here needs both; one at --host, only the MySQL its coupons are checked in.
      await requireServices(command, config, flags.host ? (flags.endpoint === 'issue' ? ['mysql'] : []) : ['mysql', 'redis']);
      const locust = generators.includes('locust') ? (findLocust() ?? installLocust(command)) : undefined;
      const report = await runLoadTest({
        generators,
        endpoint: flags.endpoint,
        strategy: flags.strategy,
        connections: flags.connections,
        durationS: flags.duration,
        quantity: flags.quantity,
        spawnRate: flags.spawnRate ?? flags.connections,
        locust,
        host: flags.host,
        instances: flags.instances,
        config,
        giveUpAfterMs: flags.giveUpAfter * 1000,
        ...(flags.progress ? { progress: labelled(name, progressOn(process.stderr)) } : {}),
      }).catch((error: Error) => command.error(`error: ${error.message}`, { exitCode: 1 }));
      process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : `${renderLoadTest(report)}\n`);
      process.exitCode = report.ok ? 0 : 1;
    });
}

/** Every progress line starts with the command's name: `load-locust: locust: 200 users…`. */
function labelled(name: string, progress: Progress): Progress {
  return (label) => progress(`${name}: ${label}`);
}

/** Debian's python3-locust when this process may install it (root), else a one-line way out. */
function installLocust(command: Command): string {
  if (process.getuid?.() !== 0) {
    command.error('locust is not installed: install it with `sudo apt-get install python3-locust` (Debian, Ubuntu) or `pip install locust`', {
      exitCode: 2,
    });
  }
  process.stderr.write("locust is not installed: installing Debian's python3-locust with apt-get\n");
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [
    ['update', '-qq'],
    ['install', '-y', '-qq', 'python3-locust'],
  ]) {
    spawnSync('apt-get', args, { env, stdio: ['ignore', process.stderr, process.stderr] });
  }
  const locust = findLocust();
  if (!locust) command.error('installing python3-locust with apt-get did not give a `locust` on PATH', { exitCode: 2 });
  return locust;
}

/**
 * `--users` as the bench means it (distinct users) has no place here: every request comes from a
 * user never seen before. Refused with a pointer rather than as an unknown option.
 */
function noUsers(): never {
  throw new InvalidArgumentError('Every request here comes from a user never seen before; --connections sets how many requests are in flight at once.');
}

function httpUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InvalidArgumentError('a URL such as http://127.0.0.1:8080');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidArgumentError('an http:// or https:// URL');
  return text.replace(/\/+$/, '');
}
