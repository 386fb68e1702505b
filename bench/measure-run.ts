import type { Lab } from '../src/lab.js';
import { createCoupon } from '../src/core/coupon-service.js';
import type { StrategyName } from '../src/strategies/index.js';
import { describeUndrained, streamBacklog, waitForDrain, type DrainOptions, type DrainOutcome } from '../lab-client/drain.js';
import { startConsumer, startQueueConsumer } from '../src/consumer/start-consumer.js';
import { usesBroker } from '../src/strategies/names.js';
import { soldOutWhileAvailable } from '../lab-client/sold-out.js';
import { verifyCoupon } from '../lab-client/verdict.js';
import { ms } from './output/format.js';
import { Tally } from '../lab-client/tally.js';
import { reportingAnswers, type OnBenchEvent, type RunKey } from './events.js';
import type { Crowd, LoadResult, Watch } from './load.js';
import type { ProgressLine } from './output/progress.js';
import type { BenchSettings, RunResult } from './report.js';
import { withCosts, type CostMeters } from './run-costs.js';
import { dropBuckets } from '../src/strategies/lua-buckets/coupon-hooks.js';

/** Requests that warm a fresh server, and each strategy on it, before anything is measured. */
export const WARM_UP_REQUESTS = 1_000;

/** The crowd that warms: `WARM_UP_REQUESTS` users once each, at the run's concurrency. */
export function warmUpCrowd({ concurrency }: Pick<BenchSettings, 'concurrency'>): Crowd {
  return { users: WARM_UP_REQUESTS, requestsPerUser: 1, concurrency };
}

/** A coupon no sustained run can sell out. */
const UNLIMITED = 1_000_000_000;

/**
 * How long the consumer may take to write a run's accepted requests: what is unwritten after that
 * counts as lost. Looked at every 2 ms: the drain is reported in milliseconds, and a coarser look
 * would add its own wait to it.
 */
const DRAIN: DrainOptions = { timeoutMs: 120_000, stallMs: 15_000, pollMs: 2 };

/** Sends a crowd at a coupon, over HTTP or in this process, counting its answers as `watch` says. */
export type Load = (couponId: number, watch: Watch) => Promise<LoadResult>;

/** Who is told of a run as it goes, and what stops its crowd early. */
export interface Live {
  key: RunKey;
  onEvent: OnBenchEvent;
  signal?: AbortSignal;
}

/** One run: a fresh coupon, the crowd, the drain (shown on `line` for an asynchronous strategy), the count in MySQL. */
export async function runOne(
  lab: Lab,
  settings: BenchSettings,
  strategy: StrategyName,
  load: Load,
  { line, meters, live }: { line: ProgressLine; meters: CostMeters; live: Live },
): Promise<RunResult> {
  const { key, onEvent, signal } = live;
  const quantity = settings.durationS ? UNLIMITED : settings.quantity;
  const coupon = await createCoupon(lab, { ...couponTerms(strategy), totalQuantity: quantity });
  onEvent({ type: 'run-started', ...key, couponId: coupon.id });
  const tally = new Tally();
  const report = (answers: RunResult['answers'], elapsedMs: number) => onEvent({ type: 'answers', ...key, elapsedMs, answers });
  const crowd = () => reportingAnswers(tally, report, () => load(coupon.id, { tally, signal }));
  const { asynchronous } = lab.strategies[strategy];
  const waiting = () => drained(lab, strategy, coupon.id);
  const settle = async () => {
    if (!asynchronous) return waiting();
    onEvent({ type: 'drain-started', ...key });
    return line.phase('drain', waiting, drainResult);
  };
  const [result, drain, costs] = await withCosts(meters, strategy, crowd, settle);
  const verification = await verifyCoupon(lab.db, coupon.id, quantity, result.answers, result.successfulUsers);
  await dropRedisState(lab, coupon.id);
  const run: RunResult = {
    couponId: coupon.id,
    sent: result.sent,
    answers: result.answers,
    ...verification,
    soldOutWhileAvailable: await soldOutWhileAvailable(lab.db, coupon.id, quantity, result.soldOutAt),
    throughput: result.throughput,
    latency: result.latency,
    elapsedMs: result.elapsedMs,
    ...costs,
    // A synchronous strategy's rows are written before its answers: nothing to drain, nothing to show.
    ...(asynchronous ? { drainMs: drain.waitedMs } : {}),
    ...(drain.drained ? {} : { drainGaveUp: describeUndrained(drain, coupon.id) }),
  };
  onEvent({ type: 'run-ended', ...key, result: run });
  return run;
}

function drainResult(outcome: DrainOutcome): string {
  return outcome.drained ? `${ms(outcome.waitedMs)} ms` : 'gave up';
}

/** Runs a crowd through the strategy on a coupon of its own, so the measured runs meet warm code. */
export async function warmUp(lab: Lab, strategy: StrategyName, load: Load, signal?: AbortSignal): Promise<void> {
  const coupon = await createCoupon(lab, { ...couponTerms(strategy), title: `bench warm-up ${strategy}`, totalQuantity: UNLIMITED });
  await load(coupon.id, { tally: new Tally(), signal });
  const drain = await drained(lab, strategy, coupon.id);
  if (!drain.drained) throw new Error(`bench warm-up: ${describeUndrained(drain, coupon.id)}`);
  await dropRedisState(lab, coupon.id);
}

/**
 * Waits until MySQL holds what the run's asynchronous requests were told. With CONSUMER_IN_PROCESS=false
 * nothing consumes while the load runs (not the servers, not this process), so the load
 * measures the request path alone; a consumer (the broker's, for a broker strategy) is started
 * here for the drain, and stopped.
 */
async function drained(lab: Lab, strategy: StrategyName, couponId: number): Promise<DrainOutcome> {
  if (lab.config.CONSUMER_IN_PROCESS) return waitForDrain(streamBacklog(lab, couponId), DRAIN);
  const consumer = usesBroker(strategy) ? startQueueConsumer(lab, 'bench-drain') : startConsumer(lab, 'bench-drain');
  try {
    return await waitForDrain(streamBacklog(lab, couponId), DRAIN);
  } finally {
    await consumer.stop();
  }
}

function couponTerms(strategy: StrategyName) {
  return { title: `bench ${strategy}`, discountAmount: 0, minAvailableAmount: 0, issueStartAt: null, issueEndAt: null };
}

/**
 * A run's coupon is finished with once verified: the consumers stop reading its stream, and its
 * terms and requests leave Redis (MySQL keeps its rows). Without this, every sustained run would
 * leave a stream that can never sell out for the consumers to read forever. The empty stream
 * itself stays, so a consumer that listed it a moment ago still reads it without an error.
 */
async function dropRedisState(lab: Lab, couponId: number): Promise<void> {
  const { redis, keys } = lab;
  await redis.srem(keys.streamRegistry, couponId);
  await redis.unlink(
    keys.couponTerms(couponId),
    keys.couponRequests(couponId),
    keys.couponLock(couponId),
    keys.couponCount(couponId),
    keys.couponApplied(couponId),
  );
  await dropBuckets(lab, couponId);
}
