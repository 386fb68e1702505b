import { Redlock } from '@sesamecare-oss/redlock';
import mysql from 'mysql2/promise';
import { Bench } from 'tinybench';
import type { Config } from '../../src/core/config.js';
import { createCoupon } from '../../src/core/coupon-service.js';
import { parseMysqlUrl } from '../../src/core/db.js';
import { closeRedis, createRedis } from '../../src/core/redis.js';
import { startConsumer } from '../../src/consumer/start-consumer.js';
import { createLab, type Lab } from '../../src/lab.js';
import { STRATEGY_NAMES } from '../../src/strategies/index.js';
import { loadTerms } from '../../src/strategies/lua/terms.js';
import { int, textTable, type Column } from '../output/format.js';
import { rawIssue } from '../raw-issue.js';
import { openBenchStore } from '../store.js';

/** One task's result: a strategy's whole issue, or the raw floor of a layer beneath them. */
export interface MicroResult {
  task: string;
  kind: 'strategy' | 'floor';
  meanMs: number;
  p99Ms: number;
  opsPerS: number;
  samples: number;
}

/**
 * The uncontended cost of one issue per strategy, one call at a time, next to the raw floor of
 * each layer beneath it (the script through ioredis, the FOR UPDATE transaction through mysql2,
 * a Redlock round trip): what a strategy adds is the difference. Runs in a database and Redis
 * keys of its own (store.ts), removed afterwards. Returns data; prints nothing, but a line on stderr
 * for any of its store it could not remove.
 */
export async function runMicro(labConfig: Config, timeMs: number): Promise<MicroResult[]> {
  const store = await openBenchStore(labConfig);
  const { config } = store;
  const lab = createLab(config);
  const consumer = startConsumer(lab, 'micro');
  const pool = mysql.createPool({ ...parseMysqlUrl(config.MYSQL_URL), connectionLimit: 1 });
  const lockRedis = createRedis(config.REDIS_URL, { autoPipelining: false, log: lab.log });
  try {
    const bench = new Bench({ time: timeMs, warmupTime: 200 });
    let user = 0;
    for (const name of STRATEGY_NAMES) {
      const couponId = await newCoupon(lab, `micro ${name}`);
      bench.add(`strategy ${name}`, async () => {
        await lab.strategies[name].issue({ couponId, userId: ++user });
      });
    }
    const nextUser = () => ++user;
    bench.add('floor: EVALSHA issue.lua (ioredis)', await scriptFloor(lab, nextUser));
    bench.add('floor: SELECT … FOR UPDATE issue transaction (mysql2)', await transactionFloor(lab, pool, nextUser));
    const redlock = new Redlock([lockRedis], { retryCount: 0 });
    bench.add('floor: Redlock acquire + release', async () => {
      const lock = await redlock.acquire([`${config.REDIS_KEY_PREFIX}micro-lock`], 5_000);
      await lock.release();
    });
    await bench.run();
    return bench.tasks.map((task) => {
      const { result } = task;
      if (result.state !== 'completed') throw new Error(`${task.name}: ${result.state}`);
      return {
        task: task.name,
        kind: task.name.startsWith('floor') ? 'floor' : 'strategy',
        meanMs: result.latency.mean,
        p99Ms: result.latency.p99 ?? Number.NaN,
        opsPerS: result.throughput.mean,
        samples: result.latency.samplesCount,
      };
    });
  } finally {
    await consumer.stop();
    await Promise.all([pool.end(), closeRedis(lockRedis), lab.close()]);
    await store.remove();
  }
}

const newCoupon = async (lab: Lab, title: string) =>
  (await createCoupon(lab, { title, totalQuantity: 1_000_000_000, discountAmount: 0, minAvailableAmount: 0, issueStartAt: null, issueEndAt: null })).id;

async function scriptFloor(lab: Lab, nextUser: () => number): Promise<() => Promise<void>> {
  const couponId = await newCoupon(lab, 'micro script');
  await loadTerms(lab, couponId);
  const { keys } = lab;
  return async () => {
    await lab.redis.admitIssue(keys.couponTerms(couponId), keys.couponRequests(couponId), keys.couponStream(couponId), nextUser(), Date.now(), couponId);
  };
}

async function transactionFloor(lab: Lab, pool: mysql.Pool, nextUser: () => number): Promise<() => Promise<void>> {
  const couponId = await newCoupon(lab, 'micro raw transaction');
  return () => rawIssue(pool, couponId, nextUser());
}

/** Sub-millisecond costs, so three decimals: what a strategy adds to its floor is often a tenth of a ms. */
const ms3 = (n: number) => (Number.isNaN(n) ? '-' : n.toFixed(3));

const MICRO_COLUMNS: Column<MicroResult>[] = [
  { title: 'task', cell: (r) => r.task, left: true },
  { title: 'mean ms', cell: (r) => ms3(r.meanMs) },
  { title: 'p99 ms', cell: (r) => ms3(r.p99Ms) },
  { title: 'per s', cell: (r) => int(r.opsPerS) },
  { title: 'samples', cell: (r) => int(r.samples) },
];

export function renderMicro(results: readonly MicroResult[], timeMs: number): string {
  return [`Uncontended cost of one call, one call at a time, ${int(timeMs)} ms per task`, '', ...textTable(MICRO_COLUMNS, results)].join('\n');
}
