import { randomBytes } from 'node:crypto';
import type { Config } from '../src/core/config.js';
import { redactUrl } from '../src/core/redis.js';
import { createLab, type Lab } from '../src/lab.js';
import type { StrategyName } from '../src/strategies/index.js';
import { int } from '../bench/output/format.js';
import { httpHello } from '../bench/load.js';
import { progressOn, type Progress, type ProgressLine } from '../bench/output/progress.js';
import { kill, spawnServer, type ServerProcess } from '../harness/server-process.js';
import { describeUndrained, waitForDrain, type DrainOutcome } from '../lab-client/drain.js';
import { createCouponOverHttp, issuePath, pendingOverHttp } from '../lab-client/http.js';
import { expectedVerdict, meetsExpectation } from '../lab-client/verdict.js';
import { checkCoupon, type Undrained } from './check-coupon.js';
import { runGenerator, type Loaded } from './generators.js';
import type { Endpoint, Generator, GeneratorRun, LoadTestReport } from './report.js';

export interface LoadTestOptions {
  /** Run in this order, each on a fresh coupon of its own. */
  generators: Generator[];
  endpoint: Endpoint;
  strategy: StrategyName;
  connections: number;
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
  /** Stop waiting for the consumer once it has written nothing for this long. */
  giveUpAfterMs: number;
  /** Where a line per step goes (bench/progress.ts); none by default. */
  progress?: Progress;
}

/** Requests that warm the server before anything is measured, so neither generator meets it cold. */
const WARM_UP_REQUESTS = 1_000;
/** However steadily the consumer writes, a check gives up after this long. */
const DRAIN_TIMEOUT_MS = 120_000;

/** Runs each generator against the same endpoint with as many requests in flight, for as long. Prints nothing. */
export async function runLoadTest(options: LoadTestOptions): Promise<LoadTestReport> {
  const startedAt = new Date().toISOString();
  const progress = options.progress ?? progressOn(undefined);
  const line = progress(options.host ? options.host : 'server');
  const server = options.host
    ? undefined
    : await line.phase(
        startText(options),
        () => startServer(options),
        () => 'listening',
      );
  const url = options.host ?? server!.url;
  const lab = options.endpoint === 'issue' ? createLab(options.config) : undefined;
  try {
    await warmUp(url, options, line);
    line.end();
    const runs: GeneratorRun[] = [];
    for (const generator of options.generators) runs.push(await runOne(generator, url, lab, { ...options, progress }));
    return report(options, { startedAt, url, runs });
  } finally {
    line.end();
    await lab?.close();
    if (server) await kill(server, 'SIGTERM');
  }
}

function report(options: LoadTestOptions, { startedAt, url, runs }: { startedAt: string; url: string; runs: GeneratorRun[] }): LoadTestReport {
  return {
    version: 1,
    startedAt,
    target: { url, started: !options.host, instances: options.instances },
    endpoint: options.endpoint,
    path: options.endpoint === 'hello' ? '/hello' : issuePath(options.strategy, ':couponId'),
    ...(options.endpoint === 'issue' ? { strategy: options.strategy } : {}),
    settings: {
      connections: options.connections,
      durationS: options.durationS,
      quantity: options.quantity,
      ...(options.generators.includes('locust') ? { spawnRate: options.spawnRate } : {}),
    },
    runs,
    ok: runs.every((run) => run.ok),
  };
}

function startText(options: LoadTestOptions): string {
  const noun = options.instances === 1 ? 'process' : 'processes';
  return `starting (${options.instances} ${noun}, MySQL ${redactUrl(options.config.MYSQL_URL)})`;
}

function startServer(options: LoadTestOptions): Promise<ServerProcess> {
  return spawnServer({ ...options.config, PORT: 0 }, { instances: options.instances });
}

/** A thousand GET /hello, so that neither generator meets a cold server; and proof that one answers. */
async function warmUp(url: string, options: LoadTestOptions, line: ProgressLine): Promise<void> {
  const crowd = { users: WARM_UP_REQUESTS, requestsPerUser: 1, concurrency: Math.min(options.connections, WARM_UP_REQUESTS) };
  const warm = await httpHello(url, crowd, { line, what: `warm-up, ${int(WARM_UP_REQUESTS)} × GET /hello` });
  if (warm.failures === warm.requests) throw new Error(`${url} does not answer GET /hello: is the API server running there?`);
}

/** One generator on a progress line of its own. */
async function runOne(generator: Generator, url: string, lab: Lab | undefined, options: LoadTestOptions & { progress: Progress }): Promise<GeneratorRun> {
  const line = options.progress(generator);
  try {
    return await loadAndCheck(generator, url, lab, options, line);
  } finally {
    line.end();
  }
}

/** A fresh coupon (issue endpoint), the load, then the coupon counted in MySQL. */
async function loadAndCheck(generator: Generator, url: string, lab: Lab | undefined, options: LoadTestOptions, line: ProgressLine): Promise<GeneratorRun> {
  const title = `load-test ${generator} ${options.strategy} ${randomBytes(4).toString('hex')}`;
  let couponId: number | undefined;
  let loaded: Loaded;
  try {
    couponId = lab ? await createCouponOverHttp(url, { title, totalQuantity: options.quantity }, options.config.ADMIN_TOKEN) : undefined;
    loaded = await runGenerator(generator, { ...options, url, ...(couponId === undefined ? {} : { couponId }) }, line);
  } catch (error) {
    return { generator, ...(couponId === undefined ? {} : { couponId }), error: messageOf(error), ok: false };
  }
  const { numbers, told } = loaded;
  if (!lab || couponId === undefined || !told) return { generator, numbers, ok: true };
  const checked = await check(lab, { id: couponId, title }, url, loaded, options, line);
  return { generator, couponId, numbers, answers: told.answers, ...checked };
}

/** The coupon once drained, judged as the bench judges its own; or why it could not be checked. */
async function check(
  lab: Lab,
  coupon: { id: number; title: string },
  url: string,
  loaded: Loaded,
  options: LoadTestOptions,
  line: ProgressLine,
): Promise<Pick<GeneratorRun, 'coupon' | 'checkError' | 'ok'>> {
  try {
    const undrained = await drain(url, coupon.id, options, line);
    const expected = expectedVerdict(lab.strategies[options.strategy].protection, options.instances, true);
    const checked = await checkCoupon(lab.db, coupon, loaded.told!, expected, undrained);
    // The problems are the figures the verdict leaves out; they fail only a strategy that promises exactness.
    const ok = meetsExpectation(expected, checked.verdict) && (expected !== 'EXACT' || checked.problems.length === 0);
    return { coupon: checked, ok };
  } catch (error) {
    return { checkError: messageOf(error), ok: false };
  }
}

/**
 * Waits until the server reports nothing pending for the coupon (what lua accepted and no consumer
 * has written yet), saying so on the line if it has to wait. Asked over HTTP rather than read from
 * Redis: with --host, the server's Redis and key prefix are its own, and it may run no consumer at
 * all, so the wait gives up once nothing was written for `giveUpAfterMs`. A server that cannot tell
 * is an error: the coupon cannot be checked.
 */
async function drain(url: string, couponId: number, options: LoadTestOptions, line: ProgressLine): Promise<Undrained | undefined> {
  const backlog = () => pendingOverHttp(url, couponId);
  const pending = await backlog();
  if (pending === 0) return undefined;
  const hint = options.host ? ' (is a consumer running?)' : '';
  const what = `waiting for the consumer to write ${int(pending)} accepted requests of coupon ${couponId}${hint}`;
  const waiting = () => waitForDrain(backlog, { timeoutMs: DRAIN_TIMEOUT_MS, stallMs: options.giveUpAfterMs });
  const outcome = await line.phase(what, waiting, (o: DrainOutcome) => (o.drained ? 'written' : `gave up: ${describeUndrained(o, couponId)}`));
  if (outcome.drained) return undefined;
  if (outcome.pending === undefined) throw new Error(describeUndrained(outcome, couponId));
  return { pending: outcome.pending, why: `${describeUndrained(outcome, couponId)}${options.host ? ': is a consumer running?' : ''}` };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
