import { Redlock } from '@sesamecare-oss/redlock';
import { Command } from 'commander';
import mysql from 'mysql2/promise';
import { Bench } from 'tinybench';
import { loadConfigOrExit, requireServices, wholeNumber } from '../src/cli-options.js';
import type { Config } from '../src/core/config.js';
import { createCoupon } from '../src/core/coupon-service.js';
import { parseMysqlUrl } from '../src/core/db.js';
import { closeRedis, createRedis, deleteKeysWithPrefix } from '../src/core/redis.js';
import { startConsumer } from '../src/consumer/start-consumer.js';
import { createLab, type Lab } from '../src/lab.js';
import { STRATEGY_NAMES } from '../src/strategies/index.js';
import { defineAdmissionScript } from '../src/strategies/lua/admission-script.js';
import { loadTerms } from '../src/strategies/lua/terms.js';
import { benchConfig, resetBenchStore } from './store.js';

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
 * a Redlock round trip): what a strategy adds is the difference. Runs in the bench's own
 * database and Redis keys (store.ts), deleting the keys afterwards. Returns data; prints nothing.
 */
export async function runMicro(labConfig: Config, timeMs: number): Promise<MicroResult[]> {
  const config = benchConfig(labConfig);
  await resetBenchStore(config);
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
    await deleteKeysWithPrefix(lab.redis, config.REDIS_KEY_PREFIX);
    await Promise.all([pool.end(), closeRedis(lockRedis), lab.close()]);
  }
}

const newCoupon = async (lab: Lab, title: string) =>
  (await createCoupon(lab, { title, totalQuantity: 1_000_000_000, discountAmount: 0, minAvailableAmount: 0, issueStartAt: null, issueEndAt: null })).id;

async function scriptFloor(lab: Lab, nextUser: () => number): Promise<() => Promise<void>> {
  const couponId = await newCoupon(lab, 'micro script');
  defineAdmissionScript(lab.redis);
  await loadTerms(lab, couponId);
  const { keys } = lab;
  return async () => {
    await lab.redis.admitIssue(keys.couponTerms(couponId), keys.couponRequests(couponId), keys.couponStream(couponId), nextUser(), Date.now(), couponId);
  };
}

async function transactionFloor(lab: Lab, pool: mysql.Pool, nextUser: () => number): Promise<() => Promise<void>> {
  const couponId = await newCoupon(lab, 'micro raw transaction');
  return async () => {
    const user = nextUser();
    const connection = await pool.getConnection();
    try {
      await connection.beginTransaction();
      await connection.query('SELECT total_quantity, issued_quantity FROM coupons WHERE id = ? FOR UPDATE', [couponId]);
      await connection.query('UPDATE coupons SET issued_quantity = issued_quantity + 1 WHERE id = ?', [couponId]);
      await connection.query('INSERT INTO coupon_issues (coupon_id, user_id, issued_at) VALUES (?, ?, NOW(3))', [couponId, user]);
      await connection.commit();
    } finally {
      connection.release();
    }
  };
}

/** `bench-micro`: prints what `runMicro` returns. */
export function createMicroCommand(): Command {
  return new Command('bench-micro')
    .description('Uncontended cost of one issue per strategy, next to the raw floor of each layer (tinybench).')
    .option('--time-ms <ms>', 'time spent on each task', wholeNumber(100, 600_000), 1_500)
    .option('--json', 'print the results as JSON', false)
    .action(async (flags: { timeMs: number; json: boolean }, command: Command) => {
      const config = loadConfigOrExit(command);
      await requireServices(command, config);
      const results = await runMicro(config, flags.timeMs);
      if (flags.json) return void process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
      console.log(`Uncontended cost of one call, one call at a time, ${flags.timeMs} ms per task`);
      console.table(
        results.map((r) => ({
          task: r.task,
          'mean ms': Number(r.meanMs.toFixed(3)),
          'p99 ms': Number(r.p99Ms.toFixed(3)),
          'ops/s': Math.round(r.opsPerS),
          samples: r.samples,
        })),
      );
    });
}
