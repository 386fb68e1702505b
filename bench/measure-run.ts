import type { Lab } from '../src/lab.js';
import { createCoupon } from '../src/core/coupon-service.js';
import type { StrategyName } from '../src/strategies/index.js';
import { describeUndrained, streamBacklog, waitForDrain, type DrainOptions, type DrainOutcome } from '../lab-client/drain.js';
import { startConsumer } from '../src/consumer/start-consumer.js';
import { soldOutWhileAvailable } from '../lab-client/sold-out.js';
import { verifyCoupon } from '../lab-client/verdict.js';
import { ms } from './output/format.js';
import type { LoadResult } from './load.js';
import type { ProgressLine } from './output/progress.js';
import type { BenchSettings, RunResult } from './report.js';
import { withCosts, type RetriesCounter } from './run-costs.js';

/** A coupon no sustained run can sell out. */
export const UNLIMITED = 1_000_000_000;

/**
 * How long the consumer may take to write a run's accepted requests: what is unwritten after that
 * counts as lost. Looked at every 2 ms, as the drain of a crowd of 1,000 takes tens of ms.
 */
const DRAIN: DrainOptions = { timeoutMs: 120_000, stallMs: 15_000, pollMs: 2 };

/** Sends a crowd at a coupon: over HTTP or in this process. */
export type Load = (couponId: number) => Promise<LoadResult>;

/** One run: a fresh coupon, the crowd, the drain (shown on `line` for an asynchronous strategy), the count in MySQL. */
export async function runOne(
  lab: Lab,
  settings: BenchSettings,
  strategy: StrategyName,
  load: Load,
  { line, retries }: { line: ProgressLine; retries: RetriesCounter },
): Promise<RunResult> {
  const quantity = settings.durationS ? UNLIMITED : settings.quantity;
  const coupon = await createCoupon(lab, { ...couponTerms(strategy), totalQuantity: quantity });
  const [result, costs] = await withCosts(lab, retries, strategy, () => load(coupon.id));
  const drain = lab.strategies[strategy].asynchronous ? await line.phase('drain', () => drained(lab, coupon.id), drainResult) : await drained(lab, coupon.id);
  const verification = await verifyCoupon(lab.db, coupon.id, quantity, result.answers, result.successfulUsers);
  await dropRedisState(lab, coupon.id);
  return {
    couponId: coupon.id,
    sent: result.sent,
    answers: result.answers,
    ...verification,
    soldOutWhileAvailable: await soldOutWhileAvailable(lab.db, coupon.id, quantity, result.soldOutAt),
    throughput: result.throughput,
    latency: result.latency,
    elapsedMs: result.elapsedMs,
    ...costs,
    drainMs: drain.waitedMs,
    ...(drain.drained ? {} : { drainGaveUp: describeUndrained(drain, coupon.id) }),
  };
}

function drainResult(outcome: DrainOutcome): string {
  return outcome.drained ? `${ms(outcome.waitedMs)} ms` : 'gave up';
}

/** Runs a crowd through the strategy on a coupon of its own, so the measured runs meet warm code. */
export async function warmUp(lab: Lab, strategy: StrategyName, load: Load): Promise<void> {
  const coupon = await createCoupon(lab, { ...couponTerms(strategy), title: `bench warm-up ${strategy}`, totalQuantity: UNLIMITED });
  await load(coupon.id);
  const drain = await drained(lab, coupon.id);
  if (!drain.drained) throw new Error(`bench warm-up: ${describeUndrained(drain, coupon.id)}`);
  await dropRedisState(lab, coupon.id);
}

/**
 * Waits until MySQL holds what the run's lua requests were told. With CONSUMER_IN_PROCESS=false
 * nothing consumes while the load runs (not the servers, not this process), so the load
 * measures the request path alone; a consumer is started here for the drain, and stopped.
 */
async function drained(lab: Lab, couponId: number): Promise<DrainOutcome> {
  if (lab.config.CONSUMER_IN_PROCESS) return waitForDrain(streamBacklog(lab, couponId), DRAIN);
  const consumer = startConsumer(lab, 'bench-drain');
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
async function dropRedisState({ redis, keys }: Lab, couponId: number): Promise<void> {
  await redis.srem(keys.streamRegistry, couponId);
  await redis.unlink(keys.couponTerms(couponId), keys.couponRequests(couponId), keys.couponLock(couponId));
}
