import { performance } from 'node:perf_hooks';
import mysql from 'mysql2/promise';
import { createCoupon } from '../src/core/coupon-service.js';
import { parseMysqlUrl } from '../src/core/db.js';
import { deleteKeysWithPrefix } from '../src/core/redis.js';
import { startConsumer } from '../src/consumer/start-consumer.js';
import { createLab, type Lab } from '../src/lab.js';
import { loadTerms } from '../src/strategies/lua/terms.js';
import { int } from './output/format.js';
import type { ProgressLine } from './output/progress.js';
import { rawIssue } from './raw-issue.js';
import type { BenchSettings, Floors, HelloResult } from './report.js';
import { startBareHello } from './bare-hello.js';
import { httpHello } from './load.js';
import { warmUpCrowd, WARM_UP_REQUESTS } from './measure-run.js';
import { helloWithCpu } from './server-cpu.js';
import { summariseHellos } from './stats.js';
import { drainOrThrow, streamBacklog } from '../lab-client/drain.js';

const SCRIPT_CALLS = 50_000;
const IN_FLIGHT = 1_000;
const RAW_TRANSACTIONS = 2_000;
const INSERT_CHUNK = 1_000;

/**
 * The raw cost of each layer the strategies stand on, measured on the same Redis and MySQL,
 * under a key prefix of its own so no server's consumer sees these entries. Each is a phase of
 * `line`.
 */
export async function measureFloors(lab: Lab, settings: BenchSettings, line: ProgressLine): Promise<Floors> {
  const floorLab = createLab({ ...lab.config, REDIS_KEY_PREFIX: `${lab.config.REDIS_KEY_PREFIX}floors:` });
  const perS = (n: number) => `${int(n)}/s`;
  try {
    const floors: Floors = {};
    const wants = (name: string) => settings.strategies.includes(name as never);
    if (wants('lua')) {
      const admitted = await newCoupon(floorLab, 'floor: script and drain');
      floors.luaScriptPerS = await line.phase(`EVALSHA issue.lua × ${int(SCRIPT_CALLS)}`, () => scriptFloor(floorLab, admitted.id), perS);
      floors.consumerDrainRowsPerS = await line.phase('a fresh consumer draining them', () => drainFloor(floorLab, admitted.id), perS);
      floors.bulkInsertRowsPerS = await line.phase(`raw INSERT IGNORE × ${int(SCRIPT_CALLS)}`, () => bulkInsertFloor(floorLab), perS);
    }
    if (wants('record-lock')) {
      const loop = () => rawRecordLockLoop(floorLab, settings.concurrency);
      floors.recordLockTxPerS = await line.phase(`raw SELECT … FOR UPDATE transaction × ${int(RAW_TRANSACTIONS)}`, loop, perS);
    }
    if (settings.mode === 'http') floors.bareHello = await bareHelloFloor(settings, line);
    return floors;
  } finally {
    line.end();
    await deleteKeysWithPrefix(floorLab.redis, floorLab.config.REDIS_KEY_PREFIX);
    await floorLab.close();
  }
}

const newCoupon = (lab: Lab, title: string) =>
  createCoupon(lab, { title, totalQuantity: 1_000_000_000, discountAmount: 0, minAvailableAmount: 0, issueStartAt: null, issueEndAt: null });

const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);

/** EVALSHA of issue.lua alone, `IN_FLIGHT` at a time, calls/s; it leaves what it admitted in the coupon's stream. */
async function scriptFloor(lab: Lab, couponId: number): Promise<number> {
  await loadTerms(lab, couponId);
  const { keys } = lab;
  const started = performance.now();
  for (let from = 1; from <= SCRIPT_CALLS; from += IN_FLIGHT) {
    await Promise.all(
      range(from, IN_FLIGHT).map((user) =>
        lab.redis.admitIssue(keys.couponTerms(couponId), keys.couponRequests(couponId), keys.couponStream(couponId), user, Date.now(), couponId),
      ),
    );
  }
  return SCRIPT_CALLS / ((performance.now() - started) / 1000);
}

/** A fresh consumer writing what the script admitted, rows/s. */
async function drainFloor(lab: Lab, couponId: number): Promise<number> {
  const started = performance.now();
  const consumer = startConsumer(lab, 'floor-consumer');
  try {
    await drainOrThrow(streamBacklog(lab, couponId), couponId, { timeoutMs: 120_000, stallMs: 15_000, pollMs: 2 });
    return SCRIPT_CALLS / ((performance.now() - started) / 1000);
  } finally {
    await consumer.stop();
  }
}

/** A raw multi-row INSERT IGNORE of as many rows as the script admitted, rows/s. */
async function bulkInsertFloor(lab: Lab): Promise<number> {
  const bulk = await newCoupon(lab, 'floor: bulk insert');
  const now = new Date();
  const started = performance.now();
  for (let from = 1; from <= SCRIPT_CALLS; from += INSERT_CHUNK) {
    const rows = range(from, INSERT_CHUNK).map((user) => ({ coupon_id: bulk.id, user_id: user, issued_at: now }));
    await lab.db('coupon_issues').insert(rows).onConflict(['coupon_id', 'user_id']).ignore();
  }
  return SCRIPT_CALLS / ((performance.now() - started) / 1000);
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
    for (let user = next++; user <= RAW_TRANSACTIONS; user = next++) await rawIssue(pool, id, user);
  };
  const started = performance.now();
  await Promise.all(range(0, concurrency).map(worker));
  const perS = RAW_TRANSACTIONS / ((performance.now() - started) / 1000);
  await pool.end();
  return perS;
}

/**
 * `GET /hello` on a bare node:http server (bare-hello-server.ts), warmed as the lab's server is,
 * then run as the /hello runs are, as many times: medians.
 */
async function bareHelloFloor(settings: BenchSettings, line: ProgressLine): Promise<HelloResult> {
  const server = await startBareHello();
  try {
    await httpHello(server.url, warmUpCrowd(settings), { line, what: `bare node:http warm-up, ${int(WARM_UP_REQUESTS)} × GET /hello` });
    const runs: HelloResult[] = [];
    for (let i = 1; i <= settings.repeat; i++) {
      const what = `bare node:http GET /hello${settings.repeat > 1 ? `, run ${i}/${settings.repeat}` : ''}`;
      runs.push(await helloWithCpu(server.url, server.pid, settings, { line, what }));
    }
    return summariseHellos(runs);
  } finally {
    await server.stop();
  }
}
