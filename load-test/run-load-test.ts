import { randomBytes } from 'node:crypto';
import type { Config } from '../src/core/config.js';
import { redactUrl } from '../src/core/redis.js';
import { createLab, type Lab } from '../src/lab.js';
import type { StrategyName } from '../src/strategies/index.js';
import { httpCrowd, httpHello } from '../bench/load.js';
import { kill, spawnServer, type ServerProcess } from '../bench/server-process.js';
import { describeUndrained, waitForDrain, type DrainOptions } from '../lab-client/drain.js';
import { createCouponOverHttp, issuePath, pendingOverHttp } from '../lab-client/http.js';
import type { Tally } from '../lab-client/tally.js';
import { expectedVerdict, meetsExpectation } from '../lab-client/verdict.js';
import { checkCoupon, type Undrained } from './check-coupon.js';
import { runLocust } from './locust.js';
import type { Endpoint, Generator, GeneratorNumbers, GeneratorRun, LoadTestReport } from './report.js';

export interface LoadTestOptions {
  /** Run in this order, each on a fresh coupon of its own. */
  generators: Generator[];
  endpoint: Endpoint;
  strategy: StrategyName;
  users: number;
  durationS: number;
  quantity: number;
  spawnRate: number;
  /** The `locust` executable (needed when the generators include locust). */
  locust?: string;
  /** The server under test; absent: one is started here with `config` and stopped at the end. */
  host?: string;
  /** Processes of the server started here, or of the one at `host` (for what each strategy should show). */
  instances: number;
  /** The lab configuration: the started server's, and the MySQL the coupons are checked in. */
  config: Config;
  progress: boolean;
  /** Told what is happening, a line at a time; the caller decides whether to print it. */
  onStep?: (message: string) => void;
}

/** Requests that warm the server before anything is measured, so neither generator meets it cold. */
const WARM_UP_REQUESTS = 1_000;
/** How long the consumer may take to write what a generator's crowd was accepted. */
const DRAIN: DrainOptions = { timeoutMs: 120_000 };

/** Runs each generator against the same endpoint with the same users and duration. Prints nothing. */
export async function runLoadTest(options: LoadTestOptions): Promise<LoadTestReport> {
  const startedAt = new Date().toISOString();
  const server = options.host ? undefined : await startServer(options);
  const url = options.host ?? server!.url;
  const lab = options.endpoint === 'issue' ? createLab(options.config) : undefined;
  try {
    options.onStep?.(`warming ${url} with ${WARM_UP_REQUESTS.toLocaleString('en-US')} GET /hello`);
    const warmUp = await httpHello(url, { users: WARM_UP_REQUESTS, requestsPerUser: 1, concurrency: Math.min(options.users, WARM_UP_REQUESTS) });
    if (warmUp.failures === warmUp.requests) throw new Error(`${url} does not answer GET /hello: is the API server running there?`);
    const runs: GeneratorRun[] = [];
    for (const generator of options.generators) runs.push(await runGenerator(generator, url, lab, options));
    return {
      version: 1,
      startedAt,
      target: { url, started: !options.host, instances: options.instances },
      endpoint: options.endpoint,
      path: options.endpoint === 'hello' ? '/hello' : issuePath(options.strategy, ':couponId'),
      ...(options.endpoint === 'issue' ? { strategy: options.strategy } : {}),
      settings: {
        users: options.users,
        durationS: options.durationS,
        quantity: options.quantity,
        ...(options.generators.includes('locust') ? { spawnRate: options.spawnRate } : {}),
      },
      runs,
      ok: runs.every((run) => run.ok),
    };
  } finally {
    await lab?.close();
    if (server) await kill(server, 'SIGTERM');
  }
}

async function startServer(options: LoadTestOptions): Promise<ServerProcess> {
  const noun = options.instances === 1 ? 'process' : 'processes';
  options.onStep?.(`starting the API server (${options.instances} ${noun}, MySQL ${redactUrl(options.config.MYSQL_URL)})`);
  return spawnServer({ ...options.config, PORT: 0 }, { instances: options.instances });
}

/** One generator: a fresh coupon (issue endpoint), the load, then the coupon counted in MySQL. */
async function runGenerator(generator: Generator, url: string, lab: Lab | undefined, options: LoadTestOptions): Promise<GeneratorRun> {
  const title = `load-test ${generator} ${options.strategy} ${randomBytes(4).toString('hex')}`;
  let couponId: number | undefined;
  let loaded: Loaded;
  try {
    couponId = lab ? await createCouponOverHttp(url, { title, totalQuantity: options.quantity }, options.config.ADMIN_TOKEN) : undefined;
    const what = couponId === undefined ? 'GET /hello' : `${options.strategy} on coupon ${couponId}`;
    options.onStep?.(`${generator}: ${options.users} users for ${options.durationS} s, ${what}`);
    loaded = await load(generator, url, couponId, options);
  } catch (error) {
    return { generator, ...(couponId === undefined ? {} : { couponId }), error: messageOf(error), ok: false };
  }
  const { numbers, told } = loaded;
  if (!lab || couponId === undefined || !told) return { generator, numbers, ok: true };
  try {
    const undrained = await drain(url, couponId);
    const expected = expectedVerdict(lab.strategies[options.strategy].protection, options.instances, true);
    const coupon = await checkCoupon(lab.db, { id: couponId, title }, told, expected, undrained);
    // The problems are the figures the verdict leaves out; they fail only a strategy that promises exactness.
    const ok = meetsExpectation(expected, coupon.verdict) && (expected !== 'EXACT' || coupon.problems.length === 0);
    return { generator, couponId, numbers, answers: told.answers, coupon, ok };
  } catch (error) {
    return { generator, couponId, numbers, answers: told.answers, checkError: messageOf(error), ok: false };
  }
}

/**
 * Waits until the server reports nothing pending for the coupon (what lua accepted and no consumer
 * has written yet). Asked over HTTP rather than read from Redis: with --host, the server's Redis
 * and key prefix are its own. A server that cannot tell is an error: the coupon cannot be checked.
 */
async function drain(url: string, couponId: number): Promise<Undrained | undefined> {
  const outcome = await waitForDrain(() => pendingOverHttp(url, couponId), DRAIN);
  if (outcome.drained) return undefined;
  if (outcome.pending === undefined) throw new Error(describeUndrained(outcome, couponId));
  return { pending: outcome.pending, why: describeUndrained(outcome, couponId) };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A generator's figures and, on a coupon, what its crowd was told. */
interface Loaded {
  numbers: GeneratorNumbers;
  told?: Pick<Tally, 'answers' | 'successfulUsers'>;
}

async function load(generator: Generator, url: string, couponId: number | undefined, options: LoadTestOptions): Promise<Loaded> {
  const { users, durationS } = options;
  if (generator === 'locust') {
    if (!options.locust) throw new Error('no locust executable');
    const env: Record<string, string> = couponId === undefined ? {} : { COUPON_ID: String(couponId), COUPON_STRATEGY: options.strategy };
    const { numbers, told } = await runLocust({ executable: options.locust, url, endpoint: options.endpoint, users, spawnRate: options.spawnRate, durationS, env });
    return couponId === undefined ? { numbers } : { numbers, told };
  }
  // One connection per user, each request from a user never seen before (httpCrowd with a duration).
  const crowd = { users, requestsPerUser: 1, concurrency: users, durationS };
  if (couponId === undefined) {
    const { requests, throughput, latency, failures } = await httpHello(url, crowd, options.progress);
    return { numbers: { requests, throughput, latency, failures } };
  }
  const result = await httpCrowd(url, issuePath(options.strategy, couponId), crowd, options.progress);
  const { success, soldOut, alreadyIssued, errors } = result.answers;
  const failures = Object.values(errors).reduce((sum, n) => sum + n, 0);
  const numbers = { requests: success + soldOut + alreadyIssued + failures, throughput: result.throughput, latency: result.latency, failures };
  return { numbers, told: result };
}
