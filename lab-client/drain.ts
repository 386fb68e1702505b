import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Lab } from '../src/lab.js';

/**
 * How many requests an asynchronous strategy accepted for a coupon that no consumer has written to MySQL yet. It may
 * throw (a service reconnecting after a fault): that look counts as unknown, and the wait goes on.
 */
export type Backlog = () => Promise<number>;

export interface DrainOptions {
  /** Gives up this long after it started waiting. */
  timeoutMs: number;
  /** Gives up sooner once the backlog has not shrunk for this long: nobody is writing it. */
  stallMs?: number;
  /** Time between looks; the drain's measured length is only as fine as this. */
  pollMs?: number;
}

export type DrainOutcome =
  | { drained: true; waitedMs: number }
  | {
      drained: false;
      waitedMs: number;
      /** The backlog at the last look; undefined if no look succeeded. */
      pending: number | undefined;
      /** timeout: `timeoutMs` passed. stalled: nothing was written for `stallMs`. */
      gaveUp: 'timeout' | 'stalled';
      /** What the last failed look threw, if it failed. */
      error?: string;
      options: DrainOptions;
    };

/** Resolves once the backlog is empty, or when it gives up, saying which. Never throws. */
export async function waitForDrain(backlog: Backlog, options: DrainOptions): Promise<DrainOutcome> {
  const started = performance.now();
  let pending: number | undefined;
  let shrankAt = started;
  for (;;) {
    const now = performance.now();
    const look = await lookAt(backlog);
    if (look.n === 0) return { drained: true, waitedMs: performance.now() - started };
    if (look.n !== undefined) {
      if (pending === undefined || look.n < pending) shrankAt = now;
      pending = look.n;
    }
    const gaveUp = now - started >= options.timeoutMs ? 'timeout' : options.stallMs !== undefined && now - shrankAt >= options.stallMs ? 'stalled' : undefined;
    if (gaveUp) return { drained: false, waitedMs: now - started, pending, gaveUp, ...(look.error ? { error: look.error } : {}), options };
    await sleep(options.pollMs ?? 10);
  }
}

async function lookAt(backlog: Backlog): Promise<{ n?: number; error?: string }> {
  try {
    return { n: await backlog() };
  } catch (thrown) {
    return { error: thrown instanceof Error ? thrown.message : String(thrown) };
  }
}

/** As `waitForDrain`, for callers that cannot go on without the rows: an error when it gives up. */
export async function drainOrThrow(backlog: Backlog, couponId: number, options: DrainOptions): Promise<number> {
  const outcome = await waitForDrain(backlog, options);
  if (!outcome.drained) throw new Error(describeUndrained(outcome, couponId));
  return outcome.waitedMs;
}

/** Why a wait gave up, in one line. */
export function describeUndrained(outcome: Extract<DrainOutcome, { drained: false }>, couponId: number): string {
  const { pending, gaveUp, error, options } = outcome;
  const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;
  const what =
    pending === undefined
      ? `the backlog of coupon ${couponId} could not be read${error ? ` (${error})` : ''}`
      : `${pending.toLocaleString('en-US')} accepted requests of coupon ${couponId} still unwritten`;
  const when = gaveUp === 'stalled' ? `none written in the last ${seconds(options.stallMs!)}` : `after ${seconds(options.timeoutMs)}`;
  return `${what}, ${when}`;
}

/**
 * The coupon's backlog as the lab's own Redis and MySQL tell it (the coupon hooks' `pending`): the
 * entries still in its streams (lua's, and every bucket's of lua-buckets), and the places the broker
 * strategies counted and no row holds yet.
 */
export function streamBacklog({ couponHooks }: Lab, couponId: number): Backlog {
  return () => couponHooks.pending(couponId);
}
