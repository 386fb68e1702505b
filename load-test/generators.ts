import { httpCrowd, httpHello } from '../bench/load.js';
import { int } from '../bench/output/format.js';
import type { ProgressLine } from '../bench/output/progress.js';
import { issuePath } from '../lab-client/http.js';
import type { Tally } from '../lab-client/tally.js';
import type { StrategyName } from '../src/strategies/index.js';
import { runLocust } from './locust.js';
import type { Endpoint, Generator, GeneratorNumbers } from './report.js';

/** What one generator is to send, and where. */
export interface GeneratorLoad {
  url: string;
  endpoint: Endpoint;
  strategy: StrategyName;
  /** The generator's fresh coupon (issue endpoint). */
  couponId?: number;
  /** Requests in flight at once: Locust users, autocannon connections. */
  connections: number;
  durationS: number;
  spawnRate: number;
  /** The `locust` executable (needed to run Locust). */
  locust?: string;
}

/** A generator's figures and, on a coupon, what its crowd was told. */
export interface Loaded {
  numbers: GeneratorNumbers;
  told?: Pick<Tally, 'answers' | 'successfulUsers'>;
}

/** Runs the generator as a phase of `line`: `200 connections for 20 s, lua on coupon 50… 7,556 req/s`. */
export function runGenerator(generator: Generator, load: GeneratorLoad, line: ProgressLine): Promise<Loaded> {
  const target = load.couponId === undefined ? 'GET /hello' : `${load.strategy} on coupon ${load.couponId}`;
  const what = `${int(load.connections)} ${generator === 'locust' ? 'users' : 'connections'} for ${load.durationS} s, ${target}`;
  const perS = ({ numbers }: Loaded) => `${int(numbers.throughput)} req/s`;
  return generator === 'locust' ? line.phase(what, () => locust(load), perS) : autocannon(load, { line, what });
}

async function locust(load: GeneratorLoad): Promise<Loaded> {
  if (!load.locust) throw new Error('no locust executable');
  const { couponId, connections: users, durationS, spawnRate } = load;
  const env: Record<string, string> = couponId === undefined ? {} : { COUPON_ID: String(couponId), COUPON_STRATEGY: load.strategy };
  const { numbers, told } = await runLocust({ executable: load.locust, url: load.url, endpoint: load.endpoint, users, spawnRate, durationS, env });
  return couponId === undefined ? { numbers } : { numbers, told };
}

/** One connection per user, each request from a user never seen before (httpCrowd with a duration). */
async function autocannon(load: GeneratorLoad, shown: { line: ProgressLine; what: string }): Promise<Loaded> {
  const crowd = { users: load.connections, requestsPerUser: 1, concurrency: load.connections, durationS: load.durationS };
  if (load.couponId === undefined) {
    const { requests, throughput, latency, failures } = await httpHello(load.url, crowd, shown);
    return { numbers: { requests, throughput, latency, failures } };
  }
  const result = await httpCrowd(load.url, issuePath(load.strategy, load.couponId), crowd, shown);
  const { success, soldOut, alreadyIssued, errors } = result.answers;
  const failures = Object.values(errors).reduce((sum, n) => sum + n, 0);
  const numbers = { requests: success + soldOut + alreadyIssued + failures, throughput: result.throughput, latency: result.latency, failures };
  return { numbers, told: result };
}
