import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startRedis } from '../harness/instances.js';
import { parseMysqlUrl } from '../src/core/db.js';
import { silentLog } from '../src/core/log.js';
import { createRedis, type Redis } from '../src/core/redis.js';
import { METRIC_NAMES } from '../src/core/metrics.js';
import { crowd, expectErrorAnswer, startTestServer, useTestServer, waitFor, type TestServer } from './support/lab.js';

/**
 * What the contract suite does not show of the strategies that wait or retry: how a waiter is
 * woken, what a pool or a Redis sees of them, and how each gives up. The contract suite has
 * already seen each of them exact under a crowd.
 */
let server: TestServer;
let redis: Redis;
beforeAll(async () => {
  server = await startTestServer();
  redis = createRedis(server.config.REDIS_URL, { autoPipelining: false, log: silentLog });
});
afterAll(async () => {
  redis.disconnect();
  await server.close();
});

const issue = (target: TestServer, strategy: string, couponId: number, userId: number) =>
  target.post(`/v1/strategies/${strategy}/coupons/${couponId}/issues`, { userId });

describe('pubsub-lock', () => {
  it('wakes a waiter when the holder releases, long before the lease would end', async () => {
    const couponId = await server.createCoupon();
    const key = server.lab.keys.couponLockOf(couponId, 'pubsub-lock');
    // Held by someone else for longer than the request may wait (LOCK_WAIT_MS): only a wake-up can let it through.
    await redis.set(key, 'someone else', 'PX', server.config.LOCK_WAIT_MS * 3);
    const answer = issue(server, 'pubsub-lock', couponId, 1);
    await waitFor(async () => Number((await redis.pubsub('NUMSUB', `${key}:released`))[1]) > 0, 'the request subscribes to the release');
    await redis.del(key);
    await redis.publish(`${key}:released`, 'released');
    expect((await answer).status).toBe(201);
  });
});

describe.each(['spin-lock', 'pubsub-lock'])('%s, with LOCK_WAIT_MS=400', (strategy) => {
  let impatient: TestServer;
  beforeAll(async () => {
    impatient = await startTestServer({ LOCK_WAIT_MS: '400' });
  });
  afterAll(() => impatient.close());

  it('takes the lock once a holder that died has let its lease run out, with no release published', async () => {
    const couponId = await impatient.createCoupon();
    await redis.set(impatient.lab.keys.couponLockOf(couponId, strategy as 'spin-lock'), 'a holder that died', 'PX', 150);
    expect((await issue(impatient, strategy, couponId, 1)).status).toBe(201);
  });

  it('answers LOCK_TIMEOUT, 503, when the lock stays taken for longer than it may wait, and writes nothing', async () => {
    const couponId = await impatient.createCoupon();
    await redis.set(impatient.lab.keys.couponLockOf(couponId, strategy as 'spin-lock'), 'a slow holder', 'PX', 5_000);
    const answer = await issue(impatient, strategy, couponId, 1);
    expect([answer.status, answer.body.code]).toEqual([503, 'LOCK_TIMEOUT']);
    expect(await impatient.rows(couponId)).toEqual({ rows: 0, users: 0, issuedQuantity: 0 });
  });
});

describe('spin-lock and pubsub-lock on a Redis of their own', () => {
  const started: { stop(): Promise<void> }[] = [];
  afterEach(async () => {
    await Promise.allSettled(started.splice(0).map((part) => part.stop()));
  });

  /** Redis commands the crowd cost, counted by a Redis nobody else uses. */
  async function commandsFor(strategy: string): Promise<{ commands: number; tally: Record<string, number> }> {
    const privateRedis = await startRedis({ persistence: 'none' });
    started.push(privateRedis);
    const lab = await startTestServer({ REDIS_URL: privateRedis.url });
    started.unshift({ stop: () => lab.close() });
    const couponId = await lab.createCoupon({ totalQuantity: 30 });
    const counter = createRedis(privateRedis.url, { autoPipelining: false, log: silentLog });
    const processed = async () => Number(/total_commands_processed:(\d+)/.exec(await counter.info('stats'))![1]);
    try {
      const before = await processed();
      const tally = await crowd(Array.from({ length: 300 }, (_, i) => () => issue(lab, strategy, couponId, i + 1)));
      return { commands: (await processed()) - before, tally };
    } finally {
      counter.disconnect();
    }
  }

  it('pubsub-lock subscribes again for the next waiter when a subscription failed, rather than leave every waiter to its lease', async () => {
    const privateRedis = await startRedis({ persistence: 'none' });
    started.push(privateRedis);
    // A lease and a wait longer than the test: only a published release can let a waiter through.
    const lab = await startTestServer({ REDIS_URL: privateRedis.url, LOCK_LEASE_MS: '30000', LOCK_WAIT_MS: '20000' });
    started.unshift({ stop: () => lab.close() });
    const admin = createRedis(privateRedis.url, { autoPipelining: false, log: silentLog });
    try {
      const couponId = await lab.createCoupon();
      const key = lab.lab.keys.couponLockOf(couponId, 'pubsub-lock');
      const subscribers = async () => Number((await admin.pubsub('NUMSUB', `${key}:released`))[1]);
      await admin.set(key, 'someone else', 'PX', 30_000);
      await admin.call('ACL', 'SETUSER', 'default', '-subscribe'); // SUBSCRIBE refused: NOPERM
      const first = issue(lab, 'pubsub-lock', couponId, 1);
      await waitFor(async () => ((await admin.call('ACL', 'LOG')) as unknown[]).length > 0, 'the refused subscription');
      await admin.call('ACL', 'SETUSER', 'default', '+subscribe');
      const second = issue(lab, 'pubsub-lock', couponId, 2);
      await waitFor(async () => (await subscribers()) > 0, 'a waiter subscribing again');
      await admin.del(key);
      await admin.publish(`${key}:released`, 'released');
      expect([(await first).status, (await second).status]).toEqual([201, 201]);
    } finally {
      admin.disconnect();
    }
  });

  it('pubsub-lock sells a coupon out with fewer Redis commands than spin-lock polls for it', async () => {
    const spin = await commandsFor('spin-lock');
    const pubsub = await commandsFor('pubsub-lock');
    for (const { tally } of [spin, pubsub]) expect(tally).toEqual({ 201: 30, COUPON_SOLD_OUT: 270 });
    expect(pubsub.commands).toBeLessThan(spin.commands);
  });
});

describe('redis-lock with a lease shorter than its transaction', () => {
  // Every transaction thinks for longer than the lock is leased: by its commit, another
  // process could hold the lock.
  const slow = useTestServer({ LOCK_LEASE_MS: '20', THINK_MS: '60', CONSUMER_IN_PROCESS: 'false' });

  it('rolls back instead of committing, and answers 503 LEASE_EXPIRED', async () => {
    const couponId = await slow.createCoupon({ totalQuantity: 5 });
    const answer = await slow.post(`/v1/strategies/redis-lock/coupons/${couponId}/issues`, { userId: 1 });
    expectErrorAnswer(answer, 503, 'LEASE_EXPIRED');
    expect(answer.body.message).toContain('lease');
    expect(await slow.rows(couponId)).toEqual({ rows: 0, users: 0, issuedQuantity: 0 });
  });
});

describe('named-lock', () => {
  it('needs one connection per holder, its lock and its transaction on it: exact on a pool of one', async () => {
    const small = await startTestServer({ MYSQL_POOL_SIZE: '1' });
    try {
      const couponId = await small.createCoupon({ totalQuantity: 20 });
      const tally = await crowd(Array.from({ length: 200 }, (_, i) => () => issue(small, 'named-lock', couponId, i + 1)));
      expect(tally).toEqual({ 201: 20, COUPON_SOLD_OUT: 180 });
      expect(await small.rows(couponId)).toEqual({ rows: 20, users: 20, issuedQuantity: 20 });
    } finally {
      await small.close();
    }
  });

  it('runs its transaction on the connection that holds the lock: if that session dies, its transaction dies with it', async () => {
    // Two processes' worth of strategy (each its own in-process queue), one MySQL, a holder that thinks.
    const [first, second] = await Promise.all([startTestServer({ THINK_MS: '800' }), startTestServer({ THINK_MS: '800' })]);
    try {
      const couponId = await first.createCoupon({ totalQuantity: 1 });
      const name = `${parseMysqlUrl(first.config.MYSQL_URL).database.slice(0, 40)}:coupon:${couponId}`;
      const holder = async () => {
        const [[{ id }]] = (await first.lab.db.raw('SELECT IS_USED_LOCK(?) AS id', [name])) as [[{ id: number | null }]];
        return id;
      };
      const early = issue(first, 'named-lock', couponId, 1);
      await waitFor(async () => (await holder()) !== null, 'the first request taking the lock');
      // The session that holds the lock ends (a network cut, wait_timeout, an operator's KILL): MySQL frees the lock.
      await first.lab.db.raw('KILL ?', [await holder()]);
      const late = await issue(second, 'named-lock', couponId, 2);
      const answers = [await early, late];
      const issued = answers.filter((answer) => answer.status === 201).length;
      expect(issued).toBe(1);
      expect(await first.rows(couponId)).toEqual({ rows: 1, users: 1, issuedQuantity: 1 });
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });
});

describe('optimistic', () => {
  it('counts its retries on /metrics', async () => {
    const couponId = await server.createCoupon({ totalQuantity: 50 });
    await crowd(Array.from({ length: 300 }, (_, i) => () => issue(server, 'optimistic', couponId, i + 1)));
    const metrics = (await server.get('/metrics')).body as string;
    const retries = new RegExp(`^${METRIC_NAMES.retries}\\{strategy="optimistic"\\} (\\d+)$`, 'm').exec(metrics);
    expect(Number(retries?.[1])).toBeGreaterThan(0);
  });

  it('gives up with CONTENDED, 503 and Retry-After once LOCK_WAIT_MS is spent, having written nothing', async () => {
    const impatient = await startTestServer({ LOCK_WAIT_MS: '1' });
    try {
      const couponId = await impatient.createCoupon({ totalQuantity: 100 });
      const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => issue(impatient, 'optimistic', couponId, i + 1)));
      const contended = answers.filter((answer) => answer.body?.code === 'CONTENDED');
      expect(contended.length).toBeGreaterThan(0);
      for (const answer of contended) {
        expect(answer.status).toBe(503);
        expect(answer.headers.get('retry-after')).not.toBeNull();
      }
      const issued = answers.filter((answer) => answer.status === 201).length;
      expect(await impatient.rows(couponId)).toEqual({ rows: issued, users: issued, issuedQuantity: issued });
    } finally {
      await impatient.close();
    }
  });
});
