import { performance } from 'node:perf_hooks';
import type { Config } from '../src/core/config.js';
import { startConsumer, startQueueConsumerWhenUsed } from '../src/consumer/start-consumer.js';
import { createLab, type Lab } from '../src/lab.js';
import type { StrategyName } from '../src/strategies/index.js';
import { usesBroker } from '../src/strategies/names.js';
import { issuePath } from '../lab-client/http.js';
import { expectedVerdict, meetsExpectation, worstVerdict } from '../lab-client/verdict.js';
import { measureFloors } from './floors.js';
import { int, plural } from './output/format.js';
import { directCrowd, httpCrowd, httpHello, type Crowd, type Watch } from './load.js';
import { describeCommit, describeMachine, withCommit } from './machine.js';
import type { OnBenchEvent, Stage } from './events.js';
import { runOne, warmUp, warmUpCrowd, WARM_UP_REQUESTS, type Live } from './measure-run.js';
import { progressOn, type Progress } from './output/progress.js';
import { RunCounter } from './output/run-counter.js';
import type { Baseline, BenchReport, BenchSettings, RunResult, StrategyResult } from './report.js';
import { retriesInProcess, retriesOnMetrics } from './run-costs.js';
import { kill, type ServerProcess } from '../harness/server-process.js';
import { benchStore } from './store.js';
import { startRun, startServers, type RunStart } from './run-start.js';
import { helloWithCpu } from './server-cpu.js';
import { median, medianLatency, medianOfAll, summariseHellos } from './stats.js';
import { crowdUserIds } from './crowd-users.js';
import { busiestShare, medianShares } from './master-shares.js';

export interface BenchOptions {
  settings: BenchSettings;
  /** The lab configuration the servers run with (URLs, prefix, lock and pool settings). */
  config: Config;
  floors: boolean;
  /** Where a line per run goes (progress.ts); none by default. */
  progress?: Progress;
  /** Told what happens as it happens (events.ts): the console's lanes. */
  onEvent?: OnBenchEvent;
  /** Stops the bench: the crowd running now ends at once, and runBench rejects with the signal's reason. */
  signal?: AbortSignal;
  /** What the caller started already (run-start.ts); started here otherwise. */
  start?: RunStart;
}

/** What every step of one bench works with. */
interface Bench {
  lab: Lab;
  settings: BenchSettings;
  progress: Progress;
  /** Every run of the bench, counted as they start: each progress line says where it is overall. */
  runs: RunCounter;
  onEvent: OnBenchEvent;
  signal: AbortSignal | undefined;
}

/**
 * Runs every strategy in every setting asked for and returns what it found. Prints nothing, but a
 * line on stderr for any of its store it could not remove at the end (store.ts). The first server
 * starts while the run's database is created and migrated: it asks MySQL nothing until it is asked
 * something, and a server takes as long to start as the rest of the setting up.
 */
export async function runBench({
  settings,
  config: labConfig,
  floors,
  progress = progressOn(undefined),
  onEvent = () => {},
  signal,
  start = startRun(settings, labConfig),
}: BenchOptions): Promise<BenchReport> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const commit = describeCommit();
  const store = benchStore(start.config);
  const { firstServer } = start;
  try {
    await store.prepare();
    const lab = createLab(store.config);
    try {
      const perStrategy = (settings.mode === 'direct' ? 1 : settings.instances.length) * settings.repeat;
      const bench = { lab, settings, progress, runs: new RunCounter(perStrategy * settings.strategies.length), onEvent, signal };
      const machine = await describeMachine(lab);
      const { results, baselines } = settings.mode === 'direct' ? await runDirect(bench) : await runOverHttp(bench, firstServer!);
      const measuredFloors = floors ? await measureFloors(lab, settings, progress('bench: floors')) : {};
      for (const result of results) project(result, measuredFloors.luaScriptPerS);
      return {
        version: 1,
        startedAt,
        wallMs: performance.now() - started,
        machine,
        ...withCommit(await commit),
        settings,
        baselines,
        results,
        floors: measuredFloors,
        ok: results.every((result) => result.ok),
      };
    } finally {
      await lab.close();
    }
  } finally {
    await firstServer?.then((server) => kill(server, 'SIGTERM')).catch(() => undefined);
    await store.remove({ broker: settings.strategies.some(usesBroker) });
  }
}

interface Measured {
  results: StrategyResult[];
  baselines: Baseline[];
}

/** Each strategy called in this process, with the consumers running here too: no HTTP, no baseline. */
async function runDirect(bench: Bench): Promise<Measured> {
  const { lab, settings } = bench;
  const results: StrategyResult[] = [];
  // The consumers a server runs inside it: the stream's, and the broker's once a broker strategy publishes.
  const consumers = lab.config.CONSUMER_IN_PROCESS ? [startConsumer(lab), startQueueConsumerWhenUsed(lab)] : [];
  try {
    for (const strategy of settings.strategies) {
      const runs = await repeatOnLines(bench, `bench: ${strategy}, direct`, (line, run) =>
        runOne(
          lab,
          settings,
          strategy,
          (couponId, watch) => directCrowd(lab.strategies[strategy], couponId, crowdOf(bench), { line, what: crowdText(settings) }, watch),
          { line, meters: { lab, retries: retriesInProcess(lab) }, live: live(bench, strategy, 1, run) },
        ),
      );
      results.push(ended(bench, summarise(lab, strategy, 1, runs, settings)));
    }
  } finally {
    await Promise.all(consumers.map((consumer) => consumer.stop()));
  }
  return { results, baselines: [] };
}

/** Real server processes, as many as each `--instances` entry asks for, driven over HTTP; the first started already. */
async function runOverHttp(bench: Bench, firstServer: Promise<ServerProcess>): Promise<Measured> {
  const { lab, settings, progress } = bench;
  const measured: Measured = { results: [], baselines: [] };
  for (const [i, instances] of settings.instances.entries()) {
    bench.signal?.throwIfAborted();
    const line = progress(`bench: ${processes(instances)}`);
    tellStage(bench, instances, 'starting servers');
    const starting = () => (i === 0 ? firstServer : startServers(lab.config, instances));
    const server = await line.phase('starting the server', starting, () => 'listening');
    try {
      // A fresh process answers its first requests slowly (JIT, pools filling): not the lab's to measure.
      tellStage(bench, instances, 'warm-up');
      await httpHello(server.url, warmUpCrowd(settings), { line, what: `warm-up, ${int(WARM_UP_REQUESTS)} × GET /hello` }, bench.signal);
      line.end();
      const hellos: MeasuredHello[] = [];
      for (const strategy of settings.strategies) {
        const result = await runPaired(bench, strategy, instances, server);
        hellos.push(...result.helloRuns);
        measured.results.push(ended(bench, result.result));
      }
      measured.baselines.push({ instances, ...summariseHellos(hellos), runs: hellos.map((hello) => hello.throughput) });
    } finally {
      line.end();
      await kill(server, 'SIGTERM');
    }
  }
  return measured;
}

/**
 * One strategy on one server: warmed, then each run paired with a /hello run just before it, so
 * that a ratio compares the server with itself at the same moment, not with how it was minutes earlier.
 */
async function runPaired(
  bench: Bench,
  strategy: StrategyName,
  instances: number,
  server: ServerProcess,
): Promise<{ result: StrategyResult; helloRuns: MeasuredHello[] }> {
  const { lab, settings, progress } = bench;
  const path = (couponId: number) => issuePath(strategy, couponId);
  const label = `bench: ${strategy}, ${processes(instances)}`;
  const warmUpLine = progress(`${label}, warm-up`);
  const issues = { line: warmUpLine, what: `${int(WARM_UP_REQUESTS)} issues` };
  tellStage(bench, instances, 'warm-up', strategy);
  await warmUp(lab, strategy, (couponId, watch) => httpCrowd(server.url, path(couponId), warmUpCrowd(settings), issues, watch), bench.signal);
  warmUpLine.end();
  const pairs = await repeatOnLines(bench, label, async (line, i) => {
    tellStage(bench, instances, 'GET /hello', strategy);
    const hello = await helloWithCpu(server.url, server.child.pid, settings, { line, what: 'GET /hello' }, bench.signal);
    const crowd = (couponId: number, watch: Watch) => httpCrowd(server.url, path(couponId), crowdOf(bench), { line, what: crowdText(settings) }, watch);
    const meters = { lab, retries: retriesOnMetrics(server.metricsUrl), serverPid: server.child.pid };
    const run = await runOne(lab, settings, strategy, crowd, { line, meters, live: live(bench, strategy, instances, i) });
    return { hello, run };
  });
  const helloRuns = pairs.map((pair) => pair.hello);
  const result = summarise(
    lab,
    strategy,
    instances,
    pairs.map((pair) => pair.run),
    settings,
  );
  result.hello = summariseHellos(helloRuns);
  result.helloRatio = median(pairs.map(({ hello, run }) => run.throughput / hello.throughput));
  const cpuRatio = medianOfAll(pairs.map(({ hello, run }) => ratio(cpuPerRequest(run), hello.serverCpuUsPerRequest)));
  if (cpuRatio !== undefined) result.helloCpuRatio = cpuRatio;
  return { result, helloRuns };
}

/**
 * `settings.repeat` runs one after the other, each on a progress line of its own:
 * `<label>, repeat 2 of 3 (run 7 of 24, about 1 min 10 s left)`.
 */
async function repeatOnLines<T>(
  { settings, progress, runs, signal }: Bench,
  label: string,
  run: (line: ReturnType<Progress>, i: number) => Promise<T>,
): Promise<T[]> {
  const results: T[] = [];
  for (let i = 1; i <= settings.repeat; i++) {
    signal?.throwIfAborted();
    const line = progress(`${label}${settings.repeat > 1 ? `, repeat ${i} of ${settings.repeat}` : ''} (${runs.next()})`);
    try {
      results.push(await run(line, i));
    } finally {
      line.end();
    }
  }
  return results;
}

/** What a run sends, as its progress line names it. */
function crowdText(s: BenchSettings): string {
  const who = s.crowd === 'skewed' ? ' (skewed onto one bucket)' : '';
  if (s.durationS) return `${s.durationS} s of fresh users${who}`;
  return `${int(s.users)} users${s.requestsPerUser > 1 ? ` × ${s.requestsPerUser}` : ''}${who} for ${plural(s.quantity, 'place')}`;
}

/** The measured crowd: the settings' users, with the ids of a skewed crowd if asked for. */
function crowdOf({ lab, settings }: Bench): Crowd {
  const userId = crowdUserIds(settings.crowd, lab.config.LUA_BUCKETS);
  return userId ? { ...settings, userId } : settings;
}

/** The projected ceiling of a design on a cluster: the EVALSHA floor over its busiest master's share. */
function project(result: StrategyResult, scriptFloorPerS: number | undefined): void {
  if (result.busiestShare && scriptFloorPerS) result.projectedCeiling = scriptFloorPerS / result.busiestShare;
}

function tellStage({ onEvent }: Bench, instances: number, stage: Stage, strategy?: StrategyName): void {
  onEvent({ type: 'stage', instances, stage, ...(strategy ? { strategy } : {}) });
}

function live({ onEvent, signal, settings }: Bench, strategy: StrategyName, instances: number, run: number): Live {
  return { key: { strategy, instances, run, runs: settings.repeat }, onEvent, signal };
}

/** A strategy's result in one setting, told once complete. */
function ended(bench: Bench, result: StrategyResult): StrategyResult {
  bench.onEvent({ type: 'strategy-ended', result });
  return result;
}

function processes(n: number): string {
  return plural(n, 'process');
}

const ratio = (over: number | undefined, under: number | undefined) => (over === undefined || !under ? undefined : over / under);

/** A /hello run with the server CPU it took (server-cpu.ts). */
type MeasuredHello = Awaited<ReturnType<typeof helloWithCpu>>;

/** Server CPU per request sent, µs, if the run has a CPU figure. */
function cpuPerRequest(run: RunResult): number | undefined {
  return run.serverCpuMs === undefined ? undefined : (run.serverCpuMs * 1000) / Math.max(1, run.sent);
}

function summarise(lab: Lab, strategy: StrategyName, instances: number, runs: RunResult[], settings: BenchSettings): StrategyResult {
  const { protection, asynchronous } = lab.strategies[strategy];
  const expected = expectedVerdict(protection, instances, !settings.durationS);
  const verdict = worstVerdict(runs.map((run) => run.verdict));
  const serverCpuUsPerRequest = medianOfAll(runs.map(cpuPerRequest));
  return {
    strategy,
    instances,
    protection,
    expected,
    verdict,
    ok: meetsExpectation(expected, verdict),
    throughput: median(runs.map((run) => run.throughput)),
    latency: medianLatency(runs.map((run) => run.latency)),
    ...(asynchronous ? { drainMs: median(runs.map((run) => run.drainMs ?? 0)) } : {}),
    redisCommandsPerRequest: median(runs.map((run) => run.redisCommands / Math.max(1, run.sent))),
    mysqlQueriesPerRequest: median(runs.map((run) => run.mysqlQueries / Math.max(1, run.sent))),
    soldOutWhileAvailable: Math.max(...runs.map((run) => run.soldOutWhileAvailable)),
    retriesPerSuccess: median(runs.map((run) => run.retries / Math.max(1, run.answers.success))),
    ...masterSplit(runs),
    ...(serverCpuUsPerRequest === undefined ? {} : { serverCpuUsPerRequest }),
    runs,
  };
}

/** On a Redis Cluster, each master's part of the runs' Redis work, and the busiest's. */
function masterSplit(runs: RunResult[]): Pick<StrategyResult, 'masters' | 'busiestShare'> {
  const each = runs.flatMap((run) => (run.masters ? [run.masters] : []));
  if (each.length === 0) return {};
  return { masters: medianShares(each), busiestShare: median(each.map(busiestShare)) };
}
