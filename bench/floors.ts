import { performance } from 'node:perf_hooks';
import mysql from 'mysql2/promise';
import { createCoupon } from '../src/core/coupon-service.js';
import { parseMysqlUrl } from '../src/core/db.js';
import { deleteKeysWithPrefix } from '../src/core/redis.js';
import { startConsumer } from '../src/consumer/start-consumer.js';
import { createLab, type Lab } from '../src/lab.js';
import { defineAdmissionScript } from '../src/strategies/lua/admission-script.js';
import { loadTerms } from '../src/strategies/lua/terms.js';
import type { BenchSettings, Floors } from './report.js';
import { drained } from './verify.js';

const SCRIPT_CALLS = 50_000;
const IN_FLIGHT = 1_000;
const RAW_TRANSACTIONS = 2_000;
const INSERT_CHUNK = 1_000;

/**
 * The raw cost of each layer the strategies stand on, measured on the same Redis and MySQL,
 * under a key prefix of its own so no server's consumer sees these entries.
 */
export async function measureFloors(lab: Lab, settings: BenchSettings): Promise<Floors> {
  const floorLab = createLab({ ...lab.config, REDIS_KEY_PREFIX: `${lab.config.REDIS_KEY_PREFIX}floors:` });
  try {
    const floors: Floors = {};
    const wants = (name: string) => settings.strategies.includes(name as never);
    if (wants('lua')) Object.assign(floors, await scriptAndDrain(floorLab));
    if (wants('record-lock')) floors.recordLockTxPerS = await rawRecordLockLoop(floorLab, settings.concurrency);
    return floors;
  } finally {
    await deleteKeysWithPrefix(floorLab.redis, floorLab.config.REDIS_KEY_PREFIX);
    await floorLab.close();
  }
}

const newCoupon = (lab: Lab, title: string) =>
  createCoupon(lab, { title, totalQuantity: 1_000_000_000, discountAmount: 0, minAvailableAmount: 0, issueStartAt: null, issueEndAt: null });

const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);

/** EVALSHA of issue.lua alone, then a fresh consumer writing what it admitted, then a raw bulk insert of as many rows. */
async function scriptAndDrain(lab: Lab): Promise<Floors> {
  const { id } = await newCoupon(lab, 'floor: script and drain');
  defineAdmissionScript(lab.redis);
  await loadTerms(lab, id);
  const { keys } = lab;
  const started = performance.now();
  for (let from = 1; from <= SCRIPT_CALLS; from += IN_FLIGHT) {
    await Promise.all(
      range(from, IN_FLIGHT).map((user) =>
        lab.redis.admitIssue(keys.couponTerms(id), keys.couponRequests(id), keys.couponStream(id), user, Date.now(), id),
      ),
    );
  }
  const luaScriptPerS = SCRIPT_CALLS / ((performance.now() - started) / 1000);

  const drainStarted = performance.now();
  const consumer = startConsumer(lab, 'floor-consumer');
  await drained(lab, id);
  const consumerDrainRowsPerS = SCRIPT_CALLS / ((performance.now() - drainStarted) / 1000);
  await consumer.stop();

  const bulk = await newCoupon(lab, 'floor: bulk insert');
  const now = new Date();
  const insertStarted = performance.now();
  for (let from = 1; from <= SCRIPT_CALLS; from += INSERT_CHUNK) {
    const rows = range(from, INSERT_CHUNK).map((user) => ({ coupon_id: bulk.id, user_id: user, issued_at: now }));
    await lab.db('coupon_issues').insert(rows).onConflict(['coupon_id', 'user_id']).ignore();
  }
  const bulkInsertRowsPerS = SCRIPT_CALLS / ((performance.now() - insertStarted) / 1000);
  return { luaScriptPerS, consumerDrainRowsPerS, bulkInsertRowsPerS };
}

/**
 * The record-lock transaction written by hand on a plain mysql2 pool, statement for statement:
 * what the strategy's layers cost on top. Like the strategy, it leaves one per user to the
 * unique key (every user here is new).
 */
async function rawRecordLockLoop(lab: Lab, concurrency: number): Promise<number> {
  const { id } = await newCoupon(lab, 'floor: raw record lock');
  const pool = mysql.createPool({ ...parseMysqlUrl(lab.config.MYSQL_URL), connectionLimit: lab.config.MYSQL_POOL_SIZE });
  let next = 1;
  const worker = async () => {
    for (let user = next++; user <= RAW_TRANSACTIONS; user = next++) {
      const connection = await pool.getConnection();
      try {
        await connection.beginTransaction();
        const [coupons] = await connection.query('SELECT total_quantity, issued_quantity FROM coupons WHERE id = ? FOR UPDATE', [id]);
        if ((coupons as unknown[]).length === 1) {
          await connection.query('UPDATE coupons SET issued_quantity = issued_quantity + 1 WHERE id = ?', [id]);
          await connection.query('INSERT INTO coupon_issues (coupon_id, user_id, issued_at) VALUES (?, ?, NOW(3))', [id, user]);
        }
        await connection.commit();
      } finally {
        connection.release();
      }
    }
  };
  const started = performance.now();
  await Promise.all(range(0, concurrency).map(worker));
  const perS = RAW_TRANSACTIONS / ((performance.now() - started) / 1000);
  await pool.end();
  return perS;
}
