import { performance } from 'node:perf_hooks';
import type { Config } from '../src/core/config.js';
import { createCoupon } from '../src/core/coupon-service.js';
import { prepareDatabase } from '../src/core/db.js';
import { startConsumer } from '../src/consumer/start-consumer.js';
import { createLab, type Lab } from '../src/lab.js';
import type { StrategyName } from '../src/strategies/index.js';
import { measureFloors } from './floors.js';
import { directCrowd, httpCrowd, httpHello, type Crowd, type LoadResult } from './load.js';
import { describeMachine } from './machine.js';
import type { Baseline, BenchReport, BenchSettings, RunResult, StrategyResult } from './report.js';
import { kill, spawnServer } from './server-process.js';
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

/** Runs every strategy in every setting asked for and returns what it found. Prints nothing. */
export async function runBench({ settings, config, floors, progress }: BenchOptions): Promise<BenchReport> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  await prepareDatabase(config.MYSQL_URL);
  const lab = createLab(config);
  try {
    const machine = await describeMachine(lab);
    const crowd: Crowd = { ...settings };
    const quantity = settings.durationS ? UNLIMITED : settings.quantity;
    const baselines: Baseline[] = [];
    const results: StrategyResult[] = [];
    const runOne = async (strategy: StrategyName, load: (couponId: number) => Promise<LoadResult>) => {
      const coupon = await createCoupon(lab, { ...couponTerms(strategy), totalQuantity: quantity });
      return measureRun(lab, coupon.id, quantity, load);
    };

    if (settings.mode === 'direct') {
      const consumer = startConsumer(lab);
      try {
        for (const strategy of settings.strategies) {
          const runs = await repeat(settings.repeat, () =>
            runOne(strategy, (couponId) => directCrowd(lab.strategies[strategy], couponId, crowd)),
          );
          results.push(summarise(lab, strategy, 1, runs, settings));
        }
      } finally {
        await consumer.stop();
      }
    } else {
      for (const instances of settings.instances) {
        const server = await spawnServer({ ...config, PORT: 0, MIGRATE_ON_START: false }, { instances });
        try {
          // A fresh process answers its first requests slowly (JIT, pools filling): not the lab's to measure.
          await httpHello(server.url, { ...crowd, durationS: undefined, users: 2_000, requestsPerUser: 1 });
          const hello = await repeat(settings.repeat, () => httpHello(server.url, crowd));
          const baseline: Baseline = {
            instances,
            throughput: median(hello.map((h) => h.throughput)),
            latency: medianLatency(hello.map((h) => h.latency)),
            runs: hello.map((h) => h.throughput),
          };
          baselines.push(baseline);
          for (const strategy of settings.strategies) {
            const runs = await repeat(settings.repeat, () =>
              runOne(strategy, (couponId) =>
                httpCrowd(server.url, `/v1/strategies/${strategy}/coupons/${couponId}/issues`, crowd, progress),
              ),
            );
            const result = summarise(lab, strategy, instances, runs, settings);
            result.helloRatio = result.throughput / baseline.throughput;
            results.push(result);
          }
        } finally {
          await kill(server, 'SIGTERM');
        }
      }
    }

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
    await lab.close();
  }
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
  await drained(lab, couponId);
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
