import { performance } from 'node:perf_hooks';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startMariadb, startRedis, type PrivateMariadb, type PrivateRedis } from '../harness/instances.js';
import { createDb, prepareDatabase } from '../src/core/db.js';
import { createRedis } from '../src/core/redis.js';
import { startConsumer } from '../src/consumer/start-consumer.js';
import { IssueStreamConsumer } from '../src/consumer/stream-consumer.js';
import { defineScripts } from '../src/redis-scripts/scripts.js';
import { loadTerms } from '../src/strategies/lua/terms.js';
import { crowd, startTestServer, waitFor, type TestServer } from './support/lab.js';
import { silentLog } from '../src/core/log.js';

/**
 * Defects found by killing and restarting Redis and MariaDB under requests. Every fault goes to
 * a private instance started here (harness/instances.ts), never to the shared services.
 */
const started: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.allSettled(started.splice(0).map((part) => part.stop()));
});

async function privateRedis(persistence: 'none' | 'rdb'): Promise<PrivateRedis> {
  const redis = await startRedis({ persistence });
  started.push(redis);
  return redis;
}

async function privateMariadb(): Promise<PrivateMariadb> {
  const mysql = await startMariadb();
  started.push(mysql);
  await prepareDatabase(mysql.url);
  return mysql;
}

async function serverOn(overrides: Parameters<typeof startTestServer>[0]): Promise<TestServer> {
  const server = await startTestServer(overrides);
  started.unshift({ stop: () => server.close() }); // stopped before the instances it uses
  return server;
}

const users = (first: number, count: number) => Array.from({ length: count }, (_, i) => first + i);

/** Waits until the server's Redis connection is back after a restart: a request answers other than 503. */
async function reconnected(server: TestServer, couponId: number): Promise<void> {
  await waitFor(async () => (await server.get(`/v1/coupons/${couponId}`)).status === 200, 'the server reaches Redis again');
}

describe.each(['lua', 'lua-buckets'])('%s when Redis loses part of its state', (strategy) => {
  it('restarted from an older snapshot, it does not admit again the places it forgot', async () => {
    const redis = await privateRedis('rdb');
    const server = await serverOn({ REDIS_URL: redis.url });
    const issue = (couponId: number, ids: number[]) =>
      crowd(ids.map((userId) => () => server.post(`/v1/strategies/${strategy}/coupons/${couponId}/issues`, { userId })));
    const couponId = await server.createCoupon({ totalQuantity: 100 });

    expect(await issue(couponId, users(1, 50))).toEqual({ 202: 50 });
    const snapshot = await redis.snapshot(); // holds users 1–50
    expect(await issue(couponId, users(51, 60))).toEqual({ 202: 50, COUPON_SOLD_OUT: 10 });
    await server.drained(couponId);
    expect(await server.rows(couponId)).toEqual({ rows: 100, users: 100, issuedQuantity: 100 });

    await redis.kill('SIGKILL');
    await redis.restore(snapshot);
    await redis.start();
    await reconnected(server, couponId);

    expect(await issue(couponId, users(111, 100))).toEqual({ COUPON_SOLD_OUT: 100 });
    await server.drained(couponId);
    expect(await server.rows(couponId)).toEqual({ rows: 100, users: 100, issuedQuantity: 100 });
  });

  it('restarted empty while a consumer batch is uncommitted, it never leaves more rows than the quantity, and what it revokes is visible', async () => {
    const redis = await privateRedis('none');
    const server = await serverOn({ REDIS_URL: redis.url, CONSUMER_IN_PROCESS: 'false' });
    const issue = (couponId: number, ids: number[]) =>
      crowd(ids.map((userId) => () => server.post(`/v1/strategies/${strategy}/coupons/${couponId}/issues`, { userId })));
    const couponId = await server.createCoupon({ totalQuantity: 100 });
    expect(await issue(couponId, users(1, 60))).toEqual({ 202: 60 });

    // A consumer has read the batch and is writing it when Redis goes: nothing of it is in MySQL
    // yet, and nothing of it survives in Redis.
    const consumer = new IssueStreamConsumer({ ...server.lab, blockingRedis: createRedis(redis.url, { autoPipelining: false, log: silentLog }) }, 'in-flight');
    const inFlight = await consumer.source.readNew(10);
    expect(inFlight).toHaveLength(60);
    await redis.kill('SIGKILL');
    await redis.start();
    await reconnected(server, couponId);

    const after = await issue(couponId, users(61, 100));
    await consumer.persist(inFlight); // the batch commits after the rebuild counted MySQL's rows
    await consumer.stop();
    const running = startConsumer(server.lab, 'after-restart');
    await server.drained(couponId);
    await running.stop();

    const { body: coupon } = await server.get(`/v1/coupons/${couponId}`);
    expect(await server.rows(couponId)).toEqual({ rows: 100, users: 100, issuedQuantity: 100 });
    // Every 202 is a row or a revocation: told yes, got nothing, and it shows.
    expect(coupon.revokedQuantity).toBe(60 + (after[202] ?? 0) - 100);
    expect(coupon.revokedQuantity).toBeGreaterThan(0);

    // And it stops there: Redis holds again every place MySQL holds, so the next users are
    // told the truth, sold out, rather than accepted and revoked in turn.
    const running2 = startConsumer(server.lab, 'later');
    expect(await issue(couponId, users(161, 50))).toEqual({ COUPON_SOLD_OUT: 50 });
    await server.drained(couponId);
    await running2.stop();
    expect((await server.get(`/v1/coupons/${couponId}`)).body.revokedQuantity).toBe(coupon.revokedQuantity);
  });
});

describe('lua when Redis loses part of its state', () => {
  it('restarted again in the middle of a rebuild, it is rebuilt again, not taken as rebuilt', async () => {
    const redis = await privateRedis('rdb');
    const server = await serverOn({ REDIS_URL: redis.url });
    const issue = (couponId: number, ids: number[]) =>
      crowd(ids.map((userId) => () => server.post(`/v1/strategies/lua/coupons/${couponId}/issues`, { userId })));
    const couponId = await server.createCoupon({ totalQuantity: 10 });
    expect(await issue(couponId, users(1, 3))).toEqual({ 202: 3 });
    await server.drained(couponId);
    const snapshot = await redis.snapshot(); // holds users 1–3
    expect(await issue(couponId, users(4, 7))).toEqual({ 202: 7 });
    await server.drained(couponId);

    const restartFromSnapshot = async () => {
      await redis.kill('SIGKILL');
      await redis.restore(snapshot);
      await redis.start();
    };
    await restartFromSnapshot();
    // A loader of its own, so that the second restart can be put in its path: after it has
    // rebuilt the set to 10, just before it writes the terms that let the script admit.
    const loader = createRedis(redis.url, { autoPipelining: false, log: silentLog });
    try {
      await waitFor(async () => loader.status === 'ready', 'the loader connected');
      defineScripts(loader);
      const writeTerms = loader.writeTerms.bind(loader);
      let restarted = false;
      (loader as { writeTerms: typeof writeTerms }).writeTerms = async (...args) => {
        if (!restarted) {
          restarted = true;
          await restartFromSnapshot();
          await waitFor(async () => loader.status === 'ready', 'the loader reconnected');
        }
        return writeTerms(...args);
      };
      expect(await loadTerms({ db: server.lab.db, redis: loader, keys: server.lab.keys }, couponId)).toBe(true);
      expect(restarted).toBe(true);
    } finally {
      loader.disconnect();
    }
    await reconnected(server, couponId);
    expect(await issue(couponId, users(11, 10))).toEqual({ COUPON_SOLD_OUT: 10 });
    await server.drained(couponId);
    expect((await server.get(`/v1/coupons/${couponId}`)).body).toMatchObject({ issuedQuantity: 10, revokedQuantity: 0 });
  });
});

describe('MySQL killed in the middle of transactions', () => {
  it.each(['record-lock', 'unsafe', 'mutex'])('%s answers 503 SERVICE_UNAVAILABLE, never 500', async (strategy) => {
    const mysql = await privateMariadb();
    // Work inside each transaction, so that the crowd is mid-transaction when MariaDB dies.
    const server = await serverOn({ MYSQL_URL: mysql.url, THINK_MS: '1000', CONSUMER_IN_PROCESS: 'false' });
    const couponId = await server.createCoupon({ totalQuantity: 100 });
    const answers = crowd(users(1, 30).map((userId) => () => server.post(`/v1/strategies/${strategy}/coupons/${couponId}/issues`, { userId })));
    // A pooled connection in use is a transaction under way: each thinks for a second.
    const pool = (server.lab.db.client as { pool: { numUsed(): number } }).pool;
    await waitFor(async () => pool.numUsed() > 0, 'transactions in flight');
    await mysql.kill('SIGKILL');
    const tally = await answers;
    expect(Object.keys(tally).filter((key) => key !== '201' && key !== 'SERVICE_UNAVAILABLE')).toEqual([]);
    expect(tally.SERVICE_UNAVAILABLE).toBeGreaterThan(0);
  });
});

describe("MariaDB's snapshot isolation (innodb_snapshot_isolation, on by default from 11.6.2)", () => {
  // It refuses a write to a row changed since the transaction's snapshot (error 1020) where older
  // servers and MySQL let it through: a lost race, to be retried, never a 500.
  it.each([
    ['optimistic', { 201: 50, COUPON_SOLD_OUT: 250 }],
    ['unsafe', undefined],
    ['mutex-in-tx', undefined],
  ] as const)('%s takes a refused stale write for a lost race', async (strategy, expected) => {
    const mysql = await privateMariadb();
    const admin = createDb(mysql.url, 1, silentLog);
    try {
      await admin.raw('SET GLOBAL innodb_snapshot_isolation = ON');
    } finally {
      await admin.destroy();
    }
    const server = await serverOn({ MYSQL_URL: mysql.url, CONSUMER_IN_PROCESS: 'false' });
    const couponId = await server.createCoupon({ totalQuantity: 50 });
    const tally = await crowd(users(1, 300).map((userId) => () => server.post(`/v1/strategies/${strategy}/coupons/${couponId}/issues`, { userId })));
    if (expected) expect(tally).toEqual(expected);
    expect(Object.keys(tally).filter((key) => !['201', 'COUPON_SOLD_OUT', 'LOCK_TIMEOUT'].includes(key))).toEqual([]);
    const issued = tally[201] ?? 0;
    expect(await server.rows(couponId)).toEqual({ rows: issued, users: issued, issuedQuantity: issued });
  });
});

describe('a Redis that stops answering but keeps its connections', () => {
  it('is answered 503 once a command has waited 2 s, not held for as long as it lasts', async () => {
    const redis = await privateRedis('none');
    const server = await serverOn({ REDIS_URL: redis.url });
    const couponId = await server.createCoupon({ totalQuantity: 10 });
    expect((await server.post(`/v1/strategies/lua/coupons/${couponId}/issues`, { userId: 1 })).status).toBe(202);
    redis.pause();
    try {
      const sent = performance.now();
      const answer = await server.post(`/v1/strategies/lua/coupons/${couponId}/issues`, { userId: 2 });
      expect(answer.body.code).toBe('SERVICE_UNAVAILABLE');
      expect(performance.now() - sent).toBeLessThan(4_000);
    } finally {
      redis.resume();
    }
  });
});

describe('a long Redis outage', () => {
  it('is answered 503 at once, request after request, and the first request after it returns is accepted', async () => {
    const redis = await privateRedis('none');
    const server = await serverOn({ REDIS_URL: redis.url });
    const couponId = await server.createCoupon({ totalQuantity: 100 });
    await redis.kill('SIGKILL');
    const latencies: number[] = [];
    const outageEnds = performance.now() + 4_000;
    for (let userId = 1; performance.now() < outageEnds; userId++) {
      const sent = performance.now();
      const answer = await server.post(`/v1/strategies/lua/coupons/${couponId}/issues`, { userId });
      latencies.push(performance.now() - sent);
      expect(answer.body.code).toBe('SERVICE_UNAVAILABLE');
    }
    expect(Math.max(...latencies.slice(1))).toBeLessThan(250);

    await redis.start();
    await waitFor(async () => (await server.post(`/v1/strategies/lua/coupons/${couponId}/issues`, { userId: 1 })).status === 202, 'a request accepted again');
  });
});

afterAll(async () => {
  await Promise.allSettled(started.splice(0).map((part) => part.stop()));
});
