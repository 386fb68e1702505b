import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Tally } from '../../lab-client/tally.js';

/** A crowd of distinct users, one request each, spread over some servers at a steady pace. */
export interface PacedCrowd {
  /** Users 1 … users, in this order. */
  users: number;
  /** Requests started per second; Infinity starts them as fast as `concurrency` allows. */
  rate: number;
  /** Most requests in flight at once. */
  concurrency: number;
  /** The id of the n-th user (from 1); n itself by default. */
  userId?: (n: number) => number;
}

/** One request as the client saw it: times in ms from the crowd's start. */
export interface Answer {
  userId: number;
  startedMs: number;
  endedMs: number;
  /** `success` (201/202), a refusal or error code, `HTTP_<status>`, or CONNECTION_ERROR / TIMEOUT. */
  outcome: string;
  /** The HTTP status; absent when no answer came. */
  status?: number;
}

/** A request that is not answered in this long counts as a TIMEOUT (a paused server answers later). */
const REQUEST_TIMEOUT_MS = 20_000;

/**
 * Sends a paced crowd while a fault is injected beside it. Unlike the bench's autocannon runs,
 * every answer is kept with its time, so the fault bench can tell who was told yes and when
 * the first success after a fault came. `whenSuccesses` lets the injector wait for progress.
 */
export class FaultCrowd {
  readonly tally = new Tally();
  readonly answers: Answer[] = [];
  readonly startedAt = performance.now();
  readonly done: Promise<void>;
  #waiters: { successes: number; resolve: (reached: boolean) => void }[] = [];

  #targets: readonly string[];

  /** `targets`: the servers' URLs, taken in turn; a fault may change them (see sendTo). `path`: where each POST goes. */
  constructor(
    targets: readonly string[],
    private readonly path: string,
    private readonly crowd: PacedCrowd,
  ) {
    this.#targets = targets;
    this.done = this.#run().finally(() => {
      for (const waiter of this.#waiters) waiter.resolve(false);
      this.#waiters = [];
    });
  }

  /** From now on, send only to these servers (as a load balancer does once it sees one gone). */
  sendTo(targets: readonly string[]): void {
    this.#targets = targets;
  }

  /** Milliseconds since the crowd started. */
  now(): number {
    return performance.now() - this.startedAt;
  }

  /** Resolves true once this many requests were told yes, false if the crowd ended first. */
  whenSuccesses(successes: number): Promise<boolean> {
    if (this.tally.answers.success >= successes) return Promise.resolve(true);
    return new Promise((resolve) => this.#waiters.push({ successes, resolve }));
  }

  /** When the first request sent at or after `ms` that succeeded was answered, if any. */
  firstSuccessAfter(ms: number): number | undefined {
    const after = this.answers.filter((a) => a.outcome === 'success' && a.startedMs >= ms).map((a) => a.endedMs);
    return after.length ? Math.min(...after) : undefined;
  }

  async #run(): Promise<void> {
    const inFlight = new Set<Promise<void>>();
    for (let n = 1; n <= this.crowd.users; n++) {
      const due = ((n - 1) / this.crowd.rate) * 1000;
      if (due > this.now()) await sleep(due - this.now());
      while (inFlight.size >= this.crowd.concurrency) await Promise.race(inFlight);
      const sending = this.#send(this.crowd.userId?.(n) ?? n, n).finally(() => inFlight.delete(sending));
      inFlight.add(sending);
    }
    await Promise.all(inFlight);
  }

  /** The n-th request, user `userId`'s, to the servers in turn. */
  async #send(userId: number, n: number): Promise<void> {
    const target = this.#targets[n % this.#targets.length]!;
    const startedMs = this.now();
    const { outcome, status } = await post(`${target}${this.path}`, userId);
    this.answers.push({ userId, startedMs, endedMs: this.now(), outcome, ...(status === undefined ? {} : { status }) });
    this.tally.record(userId, outcome);
    if (outcome !== 'success') return;
    const reached = this.#waiters.filter((waiter) => this.tally.answers.success >= waiter.successes);
    this.#waiters = this.#waiters.filter((waiter) => !reached.includes(waiter));
    for (const waiter of reached) waiter.resolve(true);
  }
}

async function post(url: string, userId: number): Promise<{ outcome: string; status?: number }> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `{"userId":${userId}}`,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await response.text();
    const outcome = response.status < 300 ? 'success' : (codeOf(text) ?? `HTTP_${response.status}`);
    return { outcome, status: response.status };
  } catch (error) {
    return { outcome: (error as Error).name === 'TimeoutError' ? 'TIMEOUT' : 'CONNECTION_ERROR' };
  }
}

function codeOf(body: string): string | undefined {
  try {
    return (JSON.parse(body) as { code?: string }).code;
  } catch {
    return undefined;
  }
}
