import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import * as hdr from 'hdr-histogram-js';
import { LabError } from '../src/core/errors.js';
import type { IssueStrategy } from '../src/strategies/index.js';
import { Tally, type Answers } from '../lab-client/tally.js';
import { int } from './output/format.js';
import type { ProgressLine } from './output/progress.js';
import type { Latency } from './report.js';

/** A run's phase on a progress line (progress.ts), and how to name it there: `5 s of fresh users`. */
export interface Shown {
  line: ProgressLine;
  what: string;
}

/** Who sends what: a flash crowd of `users` × `requestsPerUser`, or `durationS` of fresh users. */
export interface Crowd {
  users: number;
  requestsPerUser: number;
  concurrency: number;
  durationS?: number;
  /** The id of the n-th user (from 1); n itself by default. */
  userId?: (n: number) => number;
}

/** Who watches a crowd while it runs: its answers are counted into `tally` as they come; `signal` stops it early. */
export interface Watch {
  tally: Tally;
  signal?: AbortSignal;
}

export interface LoadResult {
  sent: number;
  answers: Answers;
  /** Users answered 201/202: each must end up holding exactly one row. */
  successfulUsers: number[];
  /** When each COUPON_SOLD_OUT was received, ms since the epoch. */
  soldOutAt: number[];
  latency: Latency;
  elapsedMs: number;
  throughput: number;
}

/** User ids in sending order: every user once, then every user again, …; or a fresh user each time. */
function userIds(crowd: Crowd): () => number | undefined {
  let sent = 0;
  const total = crowd.durationS ? Infinity : crowd.users * crowd.requestsPerUser;
  const id = crowd.userId ?? ((n: number) => n);
  return () => (sent < total ? id(crowd.durationS ? ++sent : (sent++ % crowd.users) + 1) : undefined);
}

interface Timed {
  result: autocannon.Result;
  answered: number;
  /** From the start until the last answer, so that stopping takes no part in the figure. */
  elapsedMs: number;
}

/**
 * One autocannon run, shown as a phase of `shown.line` if given. `request` may set up each request
 * and sees each answer; the run is stopped as soon as the last answer of a fixed amount arrives.
 */
function timedAutocannon(
  url: string,
  crowd: Crowd,
  request: autocannon.Request,
  onAnswer: (status: number, body: string, context: Record<string, unknown>) => void,
  shown?: Shown,
  signal?: AbortSignal,
): Promise<Timed> {
  const total = crowd.durationS ? Infinity : crowd.users * crowd.requestsPerUser;
  const started = performance.now();
  let answered = 0;
  let lastAnswerAt = started;
  const run = () =>
    new Promise<Timed>((resolve, reject) => {
      signal?.throwIfAborted();
      const instance = autocannon(
        {
          url,
          connections: Math.min(crowd.concurrency, total),
          // autocannon acts on stop() only when it takes a sample; by default once a second.
          sampleInt: 20,
          ...(crowd.durationS ? { duration: crowd.durationS } : { amount: total }),
          requests: [
            {
              ...request,
              onResponse: (status, body, context) => {
                onAnswer(status, body, context as Record<string, unknown>);
                lastAnswerAt = performance.now();
                if (++answered === total) instance.stop();
              },
            },
          ],
        },
        (error, result) => {
          signal?.removeEventListener('abort', stop);
          if (error) reject(error instanceof Error ? error : new Error(String(error)));
          else resolve({ result, answered, elapsedMs: lastAnswerAt - started });
        },
      );
      const stop = () => instance.stop();
      signal?.addEventListener('abort', stop, { once: true });
    });
  if (!shown) return run();
  const perS = (timed: Timed) => `${int(timed.answered / (timed.elapsedMs / 1000))} req/s`;
  return shown.line.phase(shown.what, run, perS, () => `${int(answered)} answered`);
}

/** Drives `POST {path}` on a real server with autocannon, a distinct user per request as configured. */
export async function httpCrowd(
  url: string,
  path: string,
  crowd: Crowd,
  shown?: Shown,
  { tally, signal }: Watch = { tally: new Tally() },
): Promise<LoadResult> {
  const nextUser = userIds(crowd);
  const { result, answered, elapsedMs } = await timedAutocannon(
    url,
    crowd,
    {
      method: 'POST',
      path,
      headers: { 'content-type': 'application/json' },
      // autocannon keeps one context per connection, and a connection has one request in flight.
      // Kept cheap: this runs on the same two cores as the server it measures.
      setupRequest: (request, context: { userId?: number }) => {
        const userId = nextUser() ?? 0;
        context.userId = userId;
        request.body = `{"userId":${userId}}`;
        return request;
      },
    },
    (status, body, context) => tally.record((context.userId as number) ?? 0, status < 300 ? 'success' : errorCode(status, body)),
    shown,
    signal,
  );
  if (result.errors > 0) tally.answers.errors.SOCKET_ERROR = result.errors;
  // Requests still in flight when a timed run ends were sent (and may be written) but never answered.
  const sent = Math.max(result.requests.sent ?? 0, answered + result.errors);
  return { sent, ...tally, latency: pick(result.latency), elapsedMs, throughput: answered / (elapsedMs / 1000) };
}

export interface HelloRun {
  throughput: number;
  latency: Latency;
  /** Requests answered, plus those that ended in a socket error or timeout. */
  requests: number;
  /** Answers other than 2xx, socket errors and timeouts. */
  failures: number;
}

/** `GET /hello` with the same connections and the same number of requests (or seconds). */
export async function httpHello(url: string, crowd: Crowd, shown?: Shown, signal?: AbortSignal): Promise<HelloRun> {
  const { result, answered, elapsedMs } = await timedAutocannon(url, crowd, { method: 'GET', path: '/hello' }, () => {}, shown, signal);
  return {
    throughput: answered / (elapsedMs / 1000),
    latency: pick(result.latency),
    requests: answered + result.errors,
    failures: result.non2xx + result.errors,
  };
}

function errorCode(status: number, body: string): string {
  try {
    return (JSON.parse(body) as { code?: string }).code ?? `HTTP_${status}`;
  } catch {
    return `HTTP_${status}`;
  }
}

function pick(latency: autocannon.Histogram): Latency {
  return { p50: latency.p50, p90: latency.p90, p99: latency.p99, max: latency.max };
}

/** Calls the strategy in this process with `concurrency` callers at once: its own cost, no HTTP. */
export async function directCrowd(
  strategy: IssueStrategy,
  couponId: number,
  crowd: Crowd,
  shown?: Shown,
  watch: Watch = { tally: new Tally() },
): Promise<LoadResult> {
  if (!shown) return directRun(strategy, couponId, crowd, { sent: 0 }, watch);
  const counter = { sent: 0 };
  const perS = (result: LoadResult) => `${int(result.throughput)} calls/s`;
  return shown.line.phase(
    shown.what,
    () => directRun(strategy, couponId, crowd, counter, watch),
    perS,
    () => `${int(counter.sent)} sent`,
  );
}

async function directRun(strategy: IssueStrategy, couponId: number, crowd: Crowd, counter: { sent: number }, { tally, signal }: Watch): Promise<LoadResult> {
  signal?.throwIfAborted();
  const nextUser = userIds(crowd);
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: 3 });
  const deadline = crowd.durationS ? performance.now() + crowd.durationS * 1000 : Infinity;
  const started = performance.now();
  const caller = async () => {
    for (let userId = nextUser(); userId !== undefined && performance.now() < deadline && !signal?.aborted; userId = nextUser()) {
      counter.sent++;
      const begun = performance.now();
      tally.record(userId, await outcomeOf(strategy, couponId, userId));
      histogram.recordValue(Math.max(1, Math.round((performance.now() - begun) * 1000)));
    }
  };
  await Promise.all(Array.from({ length: crowd.concurrency }, caller));
  const elapsedMs = performance.now() - started;
  const ms = (percentile: number) => histogram.getValueAtPercentile(percentile) / 1000;
  const latency = { p50: ms(50), p90: ms(90), p99: ms(99), max: histogram.maxValue / 1000 };
  histogram.destroy();
  const { sent } = counter;
  return { sent, ...tally, latency, elapsedMs, throughput: (sent / elapsedMs) * 1000 };
}

async function outcomeOf(strategy: IssueStrategy, couponId: number, userId: number): Promise<string> {
  try {
    const result = await strategy.issue({ couponId, userId });
    return result.outcome === 'refused' ? result.code : 'success';
  } catch (error) {
    return error instanceof LabError ? error.code : 'INTERNAL_ERROR';
  }
}
