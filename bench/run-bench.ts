import { performance } from 'node:perf_hooks';
import type { Config } from '../src/core/config.js';
import { startConsumer } from '../src/consumer/start-consumer.js';
import { createLab, type Lab } from '../src/lab.js';
import type { StrategyName } from '../src/strategies/index.js';
import { issuePath } from '../lab-client/http.js';
import { expectedVerdict, meetsExpectation, worstVerdict } from '../lab-client/verdict.js';
import { measureFloors } from './floors.js';
import { int } from './output/format.js';
import { directCrowd, httpCrowd, httpHello, type HelloRun } from './load.js';
import { describeMachine } from './machine.js';
import { runOne, warmUp } from './measure-run.js';
import { progressOn, type Progress } from './output/progress.js';
import type { Baseline, BenchReport, BenchSettings, Latency, RunResult, StrategyResult } from './report.js';
import { retriesInProcess, retriesOnMetrics } from './run-costs.js';
import { kill, spawnServer, type ServerProcess } from '../harness/server-process.js';
import { openBenchStore } from './store.js';
import { median, medianLatency } from './stats.js';

export interface BenchOptions {
  settings: BenchSettings;
  /** The lab configuration the servers run with (URLs, prefix, lock and pool settings). */
  config: Config;
  floors: boolean;
  /** Where a line per run goes (progress.ts); none by default. */
  progress?: Progress;
}

/** Requests that warm a fresh server, and each strategy on it, before anything is measured. */
const WARM_UP_REQUESTS = 1_000;

/** What every step of one bench works with. */
interface Bench {
  lab: Lab;
  settings: BenchSettings;
  progress: Progress;
}

/** Runs every strategy in every setting asked for and returns what it found. Prints nothing. */
export async function runBench({ settings, config: labConfig, floors, progress = progressOn(undefined) }: BenchOptions): Promise<BenchReport> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const store = await openBenchStore(labConfig);
  const lab = createLab(store.config);
  try {
    const bench = { lab, settings, progress };
    const machine = await describeMachine(lab);
    const { results, baselines } = settings.mode === 'direct' ? await runDirect(bench) : await runOverHttp(bench);
    const measuredFloors = floors ? await measureFloors(lab, settings, progress('bench: floors')) : {};
    return {
      version: 1,
      startedAt,
      wallMs: performance.now() - started,
      machine,
      settings,
      baselines,
      results,
      floors: measuredFloors,
      ok: results.every((result) => result.ok),
    };
  } finally {
    await lab.close();
    await store.remove();
  }
}

interface Measured {
  results: StrategyResult[];
  baselines: Baseline[];
}

/** Each strategy called in this process, with the consumer running here too: no HTTP, no baseline. */
async function runDirect(bench: Bench): Promise<Measured> {
  const { lab, settings } = bench;
  const results: StrategyResult[] = [];
  const consumer = lab.config.CONSUMER_IN_PROCESS ? startConsumer(lab) : undefined;
  try {
    for (const strategy of settings.strategies) {
      const runs = await repeatOnLines(bench, `bench: ${strategy}, direct`, (line) =>
        runOne(lab, settings, strategy, (couponId) => directCrowd(lab.strategies[strategy], couponId, settings, { line, what: crowdText(settings) }), {
          line,
          retries: retriesInProcess(lab),
        }),
      );
      results.push(summarise(lab, strategy, 1, runs, settings));
    }
  } finally {
    await consumer?.stop();
  }
  return { results, baselines: [] };
}

/** Real server processes, as many as each `--instances` entry asks for, driven over HTTP. */
async function runOverHttp(bench: Bench): Promise<Measured> {
  const { lab, settings, progress } = bench;
  const measured: Measured = { results: [], baselines: [] };
  for (const instances of settings.instances) {
    const line = progress(`bench: ${processes(instances)}`);
    const starting = () => spawnServer({ ...lab.config, PORT: 0, MIGRATE_ON_START: false }, { instances });
    const server = await line.phase('starting the server', starting, () => 'listening');
    try {
      // A fresh process answers its first requests slowly (JIT, pools filling): not the lab's to measure.
      const warmUpCrowd = { ...settings, durationS: undefined, users: WARM_UP_REQUESTS, requestsPerUser: 1 };
      await httpHello(server.url, warmUpCrowd, { line, what: `warm-up, ${int(WARM_UP_REQUESTS)} × GET /hello` });
      line.end();
      const hellos: HelloRun[] = [];
      for (const strategy of settings.strategies) {
        const result = await runPaired(bench, strategy, instances, server);
        hellos.push(...result.helloRuns);
        measured.results.push(result.result);
      }
      measured.baselines.push({ instances, ...summariseHello(hellos), runs: hellos.map((hello) => hello.throughput) });
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
): Promise<{ result: StrategyResult; helloRuns: HelloRun[] }> {
  const { lab, settings, progress } = bench;
  const path = (couponId: number) => issuePath(strategy, couponId);
  const label = `bench: ${strategy}, ${processes(instances)}`;
  const warmUpLine = progress(`${label}, warm-up`);
  const warmUpCrowd = { users: WARM_UP_REQUESTS, requestsPerUser: 1, concurrency: settings.concurrency };
  await warmUp(lab, strategy, (couponId) => httpCrowd(server.url, path(couponId), warmUpCrowd, { line: warmUpLine, what: `${int(WARM_UP_REQUESTS)} issues` }));
  warmUpLine.end();
  const pairs = await repeatOnLines(bench, label, async (line) => {
    const hello = await httpHello(server.url, settings, { line, what: 'GET /hello' });
    const crowd = (couponId: number) => httpCrowd(server.url, path(couponId), settings, { line, what: crowdText(settings) });
    const run = await runOne(lab, settings, strategy, crowd, { line, retries: retriesOnMetrics(server.metricsUrl) });
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
  result.hello = summariseHello(helloRuns);
  result.helloRatio = median(pairs.map(({ hello, run }) => run.throughput / hello.throughput));
  return { result, helloRuns };
}

/** `settings.repeat` runs one after the other, each on a progress line of its own: `<label>, run 2/3`. */
async function repeatOnLines<T>({ settings, progress }: Bench, label: string, run: (line: ReturnType<Progress>) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (let i = 1; i <= settings.repeat; i++) {
    const line = progress(`${label}, run ${i}/${settings.repeat}`);
    try {
      results.push(await run(line));
    } finally {
      line.end();
    }
  }
  return results;
}

/** What a run sends, as its progress line names it. */
function crowdText(s: BenchSettings): string {
  if (s.durationS) return `${s.durationS} s of fresh users`;
  return `${int(s.users)} users${s.requestsPerUser > 1 ? ` × ${s.requestsPerUser}` : ''} for ${int(s.quantity)} coupons`;
}

function processes(n: number): string {
  return `${n} process${n === 1 ? '' : 'es'}`;
}

function summariseHello(runs: HelloRun[]): { throughput: number; latency: Latency } {
  return { throughput: median(runs.map((run) => run.throughput)), latency: medianLatency(runs.map((run) => run.latency)) };
}

function summarise(lab: Lab, strategy: StrategyName, instances: number, runs: RunResult[], settings: BenchSettings): StrategyResult {
  const { protection, asynchronous } = lab.strategies[strategy];
  const expected = expectedVerdict(protection, instances, !settings.durationS);
  const verdict = worstVerdict(runs.map((run) => run.verdict));
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
    runs: runs.map((run) => (asynchronous ? run : { ...run, drainMs: undefined })),
  };
}
