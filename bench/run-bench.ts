import { performance } from 'node:perf_hooks';
import type { Config } from '../src/core/config.js';
import { createCoupon } from '../src/core/coupon-service.js';
import { startConsumer } from '../src/consumer/start-consumer.js';
import { deleteKeysWithPrefix } from '../src/core/redis.js';
import { createLab, type Lab } from '../src/lab.js';
import type { StrategyName } from '../src/strategies/index.js';
import { measureFloors } from './floors.js';
import { directCrowd, httpCrowd, httpHello, type Crowd, type HelloRun, type LoadResult } from './load.js';
import { describeMachine } from './machine.js';
import type { Baseline, BenchReport, BenchSettings, Latency, RunResult, StrategyResult } from './report.js';
import { kill, spawnServer } from './server-process.js';
import { benchConfig, resetBenchStore } from './store.js';
import { median, medianLatency } from './stats.js';
import { drained, expectedVerdict, verifyCoupon, worstVerdict } from './verify.js';

export interface BenchOptions {
  settings: BenchSettings;
  /** The lab configuration the servers run with (URLs, prefix, lock and pool settings). */
  config: Config;
  floors: boolean;
  progress: boolean;
}

/** A coupon no sustained run can sell out. */
const UNLIMITED = 1_000_000_000;
/** Requests that warm a fresh server, and each strategy on it, before anything is measured. */
const WARM_UP_REQUESTS = 1_000;

/** Runs every strategy in every setting asked for and returns what it found. Prints nothing. */
export async function runBench({ settings, config: labConfig, floors, progress }: BenchOptions): Promise<BenchReport> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const config = benchConfig(labConfig);
  await resetBenchStore(config);
  const lab = createLab(config);
  try {
    const machine = await describeMachine(lab);
    const { results, baselines } =
      settings.mode === 'direct' ? await runDirect(lab, settings) : await runOverHttp(lab, settings, progress);
    const measuredFloors = floors ? await measureFloors(lab, settings) : {};
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
    await deleteKeysWithPrefix(lab.redis, config.REDIS_KEY_PREFIX);
    await lab.close();
  }
}

interface Measured {
  results: StrategyResult[];
  baselines: Baseline[];
}

/** Each strategy called in this process, with the consumer running here too: no HTTP, no baseline. */
async function runDirect(lab: Lab, settings: BenchSettings): Promise<Measured> {
  const results: StrategyResult[] = [];
  const consumer = lab.config.CONSUMER_IN_PROCESS ? startConsumer(lab) : undefined;
  try {
    for (const strategy of settings.strategies) {
      const runs = await repeat(settings.repeat, () =>
        runOne(lab, settings, strategy, (couponId) => directCrowd(lab.strategies[strategy], couponId, settings)),
      );
      results.push(summarise(lab, strategy, 1, runs, settings));
    }
  } finally {
    await consumer?.stop();
  }
  return { results, baselines: [] };
}

/** Real server processes, as many as each `--instances` entry asks for, driven over HTTP. */
async function runOverHttp(lab: Lab, settings: BenchSettings, progress: boolean): Promise<Measured> {
  const measured: Measured = { results: [], baselines: [] };
  for (const instances of settings.instances) {
    const server = await spawnServer({ ...lab.config, PORT: 0, MIGRATE_ON_START: false }, { instances });
    try {
      // A fresh process answers its first requests slowly (JIT, pools filling): not the lab's to measure.
      await httpHello(server.url, { ...settings, durationS: undefined, users: WARM_UP_REQUESTS, requestsPerUser: 1 });
      const hellos: HelloRun[] = [];
      for (const strategy of settings.strategies) {
        const result = await runPaired(lab, settings, strategy, instances, server.url, progress);
        hellos.push(...result.helloRuns);
        measured.results.push(result.result);
      }
      measured.baselines.push({ instances, ...summariseHello(hellos), runs: hellos.map((hello) => hello.throughput) });
    } finally {
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
  lab: Lab,
  settings: BenchSettings,
  strategy: StrategyName,
  instances: number,
  url: string,
  progress: boolean,
): Promise<{ result: StrategyResult; helloRuns: HelloRun[] }> {
  const path = (couponId: number) => `/v1/strategies/${strategy}/coupons/${couponId}/issues`;
  await warmUp(lab, strategy, (couponId) => httpCrowd(url, path(couponId), warmUpCrowd(settings), false));
  const pairs = await repeat(settings.repeat, async () => {
    const hello = await httpHello(url, settings);
    const run = await runOne(lab, settings, strategy, (couponId) => httpCrowd(url, path(couponId), settings, progress));
    return { hello, run };
  });
  const helloRuns = pairs.map((pair) => pair.hello);
  const result = summarise(lab, strategy, instances, pairs.map((pair) => pair.run), settings);
  result.hello = summariseHello(helloRuns);
  result.helloRatio = median(pairs.map(({ hello, run }) => run.throughput / hello.throughput));
  return { result, helloRuns };
}

/** One run: a fresh coupon, the crowd, the drain, the count in MySQL. */
async function runOne(
  lab: Lab,
  settings: BenchSettings,
  strategy: StrategyName,
  load: (couponId: number) => Promise<LoadResult>,
): Promise<RunResult> {
  const quantity = settings.durationS ? UNLIMITED : settings.quantity;
  const coupon = await createCoupon(lab, { ...couponTerms(strategy), totalQuantity: quantity });
  return measureRun(lab, coupon.id, quantity, load);
}

/** Runs a small crowd through the strategy on a coupon of its own, so the measured runs meet warm code. */
async function warmUp(lab: Lab, strategy: StrategyName, load: (couponId: number) => Promise<LoadResult>): Promise<void> {
  const coupon = await createCoupon(lab, { ...couponTerms(strategy), title: `bench warm-up ${strategy}`, totalQuantity: UNLIMITED });
  await load(coupon.id);
  await drain(lab, coupon.id);
  await dropRedisState(lab, coupon.id);
}

function warmUpCrowd(crowd: Crowd): Crowd {
  return { users: WARM_UP_REQUESTS, requestsPerUser: 1, concurrency: crowd.concurrency };
}

function summariseHello(runs: HelloRun[]): { throughput: number; latency: Latency } {
  return { throughput: median(runs.map((run) => run.throughput)), latency: medianLatency(runs.map((run) => run.latency)) };
}

function couponTerms(strategy: StrategyName) {
  return { title: `bench ${strategy}`, discountAmount: 0, minAvailableAmount: 0, issueStartAt: null, issueEndAt: null };
}

async function repeat<T>(times: number, run: () => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (let i = 0; i < times; i++) results.push(await run());
  return results;
}

async function measureRun(
  lab: Lab,
  couponId: number,
  quantity: number,
  load: (couponId: number) => Promise<LoadResult>,
): Promise<RunResult> {
  const result = await load(couponId);
  const drainStarted = performance.now();
  await drain(lab, couponId);
  const drainMs = performance.now() - drainStarted;
  const verification = await verifyCoupon(lab.db, couponId, quantity, result.answers, result.successfulUsers);
  await dropRedisState(lab, couponId);
  return {
    couponId,
    sent: result.sent,
    answers: result.answers,
    ...verification,
    throughput: result.throughput,
    latency: result.latency,
    elapsedMs: result.elapsedMs,
    drainMs,
  };
}

/**
 * Waits until MySQL holds what the run's lua requests were told. With CONSUMER_IN_PROCESS=false
 * nothing consumes while the load runs (not the servers, not this process), so the load
 * measures the request path alone; a consumer is started here for the drain, and stopped.
 */
async function drain(lab: Lab, couponId: number): Promise<void> {
  if (lab.config.CONSUMER_IN_PROCESS) return drained(lab, couponId);
  const consumer = startConsumer(lab, 'bench-drain');
  try {
    await drained(lab, couponId);
  } finally {
    await consumer.stop();
  }
}

/**
 * A run's coupon is finished with once verified: the consumers stop reading its stream, and its
 * terms and requests leave Redis (MySQL keeps its rows). Without this, every sustained run would
 * leave a stream that can never sell out for the consumers to read forever. The empty stream
 * itself stays, so a consumer that listed it a moment ago still reads it without an error.
 */
async function dropRedisState({ redis, keys }: Lab, couponId: number): Promise<void> {
  await redis.srem(keys.streamRegistry, couponId);
  await redis.unlink(keys.couponTerms(couponId), keys.couponRequests(couponId), keys.couponLock(couponId));
}

function summarise(
  lab: Lab,
  strategy: StrategyName,
  instances: number,
  runs: RunResult[],
  settings: BenchSettings,
): StrategyResult {
  const { protection, asynchronous } = lab.strategies[strategy];
  const expected = expectedVerdict(protection, instances, !settings.durationS);
  const verdict = worstVerdict(runs.map((run) => run.verdict));
  return {
    strategy,
    instances,
    protection,
    expected,
    verdict,
    // A strategy meant to be exact must be; one expected to over-issue fails nothing when the race was missed.
    ok: expected === 'EXACT' ? verdict === 'EXACT' : true,
    throughput: median(runs.map((run) => run.throughput)),
    latency: medianLatency(runs.map((run) => run.latency)),
    ...(asynchronous ? { drainMs: median(runs.map((run) => run.drainMs ?? 0)) } : {}),
    runs: runs.map((run) => (asynchronous ? run : { ...run, drainMs: undefined })),
  };
}
