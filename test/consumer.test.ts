import { describe, expect, it } from 'vitest';
import { createDb } from '../src/core/db.js';
import { createRedis } from '../src/core/redis.js';
import { IssueStreamConsumer } from '../src/consumer/stream-consumer.js';
import { startConsumer } from '../src/consumer/start-consumer.js';
import { ensureConsumerGroup, registerStream } from '../src/core/issue-stream/registry.js';
import { useTestServer, waitFor } from './support/lab.js';
import { silentLog } from '../src/core/log.js';

/**
 * The consumer, driven step by step: no consumer runs inside this server, so each test
 * decides exactly when entries are read, written, acknowledged — or abandoned.
 */
// Entries idle for 1 ms count as abandoned, so a fresh consumer takes them over at once.
const server = useTestServer({ CONSUMER_IN_PROCESS: 'false', CONSUMER_CLAIM_IDLE_MS: '1' });

async function acceptRequests(couponId: number, users: number): Promise<void> {
  const answers = await Promise.all(Array.from({ length: users }, (_, i) => server.lab.strategies.lua.issue({ couponId, userId: i + 1 })));
  expect(answers.every((answer) => answer.outcome === 'accepted')).toBe(true);
}

function consumer(name: string): IssueStreamConsumer {
  const blockingRedis = createRedis(server.config.REDIS_URL, { autoPipelining: false, log: silentLog });
  return new IssueStreamConsumer({ ...server.lab, blockingRedis }, name);
}

async function pendingCount(couponId: number): Promise<number> {
  const [count] = (await server.lab.redis.xpending(server.lab.keys.couponStream(couponId), 'coupon-writers')) as [number];
  return count;
}

describe('a consumer that dies', () => {
  it('after reading, before writing: a fresh consumer writes each request once', async () => {
    const couponId = await server.createCoupon({ totalQuantity: 300 });
    await acceptRequests(couponId, 300);
    const dying = consumer('dies-after-read');
    expect(await dying.source.readNew(10)).toHaveLength(300);
    expect(await pendingCount(couponId)).toBe(300);
    await dying.stop(); // it never writes nor acknowledges

    const fresh = startConsumer(server.lab, 'fresh-1');
    await server.drained(couponId);
    await fresh.stop();
    expect(await server.rows(couponId)).toEqual({ rows: 300, users: 300, issuedQuantity: 300 });
    expect(await pendingCount(couponId)).toBe(0);
  });

  it('after the MySQL commit, before acknowledging: the replay adds no row and no count', async () => {
    const couponId = await server.createCoupon({ totalQuantity: 200 });
    await acceptRequests(couponId, 200);
    const dying = consumer('dies-before-ack');
    const entries = await dying.source.readNew(10);
    expect(await dying.write(entries)).toMatchObject({ written: 200, revoked: 0, parked: 0, unplaced: [] });
    await dying.stop(); // committed, never acknowledged

    const fresh = consumer('fresh-2');
    const replayed = await fresh.source.claimStale();
    expect(replayed).toHaveLength(200);
    expect(await fresh.persist(replayed)).toEqual({ written: 0, revoked: 0, parked: 0 });
    await fresh.stop();
    expect(await server.rows(couponId)).toEqual({ rows: 200, users: 200, issuedQuantity: 200 });
    expect(await server.lab.redis.xlen(server.lab.keys.couponStream(couponId))).toBe(0);
  });
});

describe('bad entries', () => {
  it('are parked where an operator can see them, and the good ones around them are written', async () => {
    const couponId = await server.createCoupon({ totalQuantity: 100 });
    await acceptRequests(couponId, 50);
    const { redis, keys } = server.lab;
    const stream = keys.couponStream(couponId);
    await redis.xadd(stream, '*', 'coupon', String(couponId), 'user', 'not-a-number', 'at', String(Date.now()));
    await redis.xadd(stream, '*', 'coupon', '999999999998', 'user', '7', 'at', String(Date.now()));
    await redis.xadd(stream, '*', 'garbage', 'x');
    // The stream of a coupon that does not exist, registered as if it had been loaded.
    const missing = 999999999999;
    await ensureConsumerGroup(redis, keys.couponStream(missing));
    await registerStream(redis, keys, missing);
    await redis.xadd(keys.couponStream(missing), '*', 'coupon', String(missing), 'user', '7', 'at', String(Date.now()));

    const running = startConsumer(server.lab, 'with-bad-entries');
    await server.drained(couponId);
    await waitFor(async () => (await redis.xlen(keys.couponStream(missing))) === 0, 'the missing coupon drained');
    await running.stop();

    expect(await server.rows(couponId)).toEqual({ rows: 50, users: 50, issuedQuantity: 50 });
    const parked = await redis.xrange(keys.parked, '-', '+');
    const reasons = parked.map(([, fields]) => fields[fields.indexOf('reason') + 1]);
    expect(reasons.sort()).toEqual(["in another coupon's stream", 'malformed entry', 'malformed entry', 'no such coupon']);
  });
});

describe('an unreachable MySQL', () => {
  it('parks nothing: the write fails and every entry stays pending', async () => {
    const couponId = await server.createCoupon({ totalQuantity: 20 });
    await acceptRequests(couponId, 20);
    const { redis, keys } = server.lab;
    const parkedBefore = await redis.xlen(keys.parked);
    const offlineDb = createDb('mysql://root@127.0.0.1:1/coupon_lab_test', 1, silentLog);
    const cutOff = new IssueStreamConsumer(
      { ...server.lab, db: offlineDb, blockingRedis: createRedis(server.config.REDIS_URL, { autoPipelining: false, log: silentLog }) },
      'cut-off',
    );
    const entries = await cutOff.source.readNew(10);
    expect(entries).toHaveLength(20);
    await expect(cutOff.write(entries)).rejects.toThrow(/ECONNREFUSED/);
    await cutOff.stop();
    await offlineDb.destroy();
    expect(await redis.xlen(keys.parked)).toBe(parkedBefore);
    expect(await pendingCount(couponId)).toBe(20);

    const fresh = startConsumer(server.lab, 'after-the-outage');
    await server.drained(couponId);
    await fresh.stop();
    expect(await server.rows(couponId)).toEqual({ rows: 20, users: 20, issuedQuantity: 20 });
  });
});

describe('the running loop', () => {
  it('drains what arrives while it runs, across several coupons', async () => {
    const running = startConsumer(server.lab, 'loop');
    const coupons = await Promise.all([1, 2, 3].map(() => server.createCoupon({ totalQuantity: 120 })));
    await Promise.all(coupons.map((couponId) => acceptRequests(couponId, 120)));
    await Promise.all(coupons.map((couponId) => server.drained(couponId)));
    await running.stop();
    for (const couponId of coupons) {
      expect(await server.rows(couponId)).toEqual({ rows: 120, users: 120, issuedQuantity: 120 });
    }
  });
});

describe('a registered stream whose key was deleted', () => {
  it('has its group created again, and the other coupons are still written', async () => {
    const [lost, kept] = await Promise.all([server.createCoupon({ totalQuantity: 10 }), server.createCoupon({ totalQuantity: 80 })]);
    await acceptRequests(lost, 10);
    await server.lab.redis.del(server.lab.keys.couponStream(lost)); // XREADGROUP naming it now fails with NOGROUP
    await acceptRequests(kept, 80);

    const running = startConsumer(server.lab, 'after-a-deleted-key');
    await server.drained(kept);
    await running.stop();
    expect(await server.rows(kept)).toEqual({ rows: 80, users: 80, issuedQuantity: 80 });
    expect(await server.lab.redis.xinfo('GROUPS', server.lab.keys.couponStream(lost))).toHaveLength(1);
  });
});

describe('acknowledging', () => {
  it('fails when Redis refuses a command inside the transaction, so the entries stay pending', async () => {
    const { redis } = server.lab;
    const notAStream = `${server.config.REDIS_KEY_PREFIX}not-a-stream`;
    await redis.set(notAStream, 'x');
    const entry = { stream: notAStream, id: '1-0', fields: [] };
    const acker = consumer('acks');
    await expect(acker.source.acknowledge([entry])).rejects.toThrow(/WRONGTYPE/);
    await acker.stop();
  });
});

describe('MySQL as the last fence', () => {
  it('writes no more rows than the quantity when Redis admitted more, and revokes the latest admitted, visibly', async () => {
    const couponId = await server.createCoupon({ totalQuantity: 10 });
    await acceptRequests(couponId, 10);
    const { redis, keys, metrics } = server.lab;
    // Redis forgets five of the users it admitted (as a restart from an older snapshot would,
    // before any rebuild), and so admits five more than the quantity.
    await redis.srem(keys.couponRequests(couponId), 1, 2, 3, 4, 5);
    const more = await Promise.all([11, 12, 13, 14, 15].map((userId) => server.lab.strategies.lua.issue({ couponId, userId })));
    expect(more.every((answer) => answer.outcome === 'accepted')).toBe(true);
    const revokedBefore = (await metrics.entriesRevoked.get()).values[0]?.value ?? 0;

    const running = startConsumer(server.lab, 'fence');
    await server.drained(couponId);
    await running.stop();

    expect(await server.rows(couponId)).toEqual({ rows: 10, users: 10, issuedQuantity: 10 });
    const revoked = await server.lab.db('coupon_revocations').where({ coupon_id: couponId }).orderBy('user_id').pluck('user_id');
    expect(revoked.map(Number)).toEqual([11, 12, 13, 14, 15]);
    expect((await server.get(`/v1/coupons/${couponId}`)).body).toMatchObject({ issuedQuantity: 10, revokedQuantity: 5, pendingQuantity: 0 });
    expect((await metrics.entriesRevoked.get()).values[0]?.value).toBe(revokedBefore + 5);
    // Redis agrees with MySQL again: the places of those revoked go back, those it forgot that
    // hold a row are held again.
    expect((await redis.smembers(keys.couponRequests(couponId))).map(Number).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('never widens an admission: each entry fits under the quantity it was admitted against', async () => {
    const couponId = await server.createCoupon({ totalQuantity: 3 });
    const { redis, keys } = server.lab;
    const stream = keys.couponStream(couponId);
    await server.lab.strategies.lua.issue({ couponId, userId: 1 }); // creates the stream and its group
    const entry = (userId: number, total: number) =>
      redis.xadd(stream, '*', 'coupon', String(couponId), 'user', String(userId), 'at', String(Date.now()), 'total', String(total));
    // Admitted against 2, 2, 5, 2: the fourth finds 3 rows already where it was promised 2.
    for (const [userId, total] of [
      [2, 2],
      [3, 5],
      [4, 2],
    ] as const)
      await entry(userId, total);

    const running = startConsumer(server.lab, 'widen');
    await server.drained(couponId);
    await running.stop();
    expect((await server.lab.db('coupon_issues').where({ coupon_id: couponId }).orderBy('user_id').pluck('user_id')).map(Number)).toEqual([1, 2, 3]);
    expect((await server.lab.db('coupon_revocations').where({ coupon_id: couponId }).pluck('user_id')).map(Number)).toEqual([4]);
  });

  it('records a replayed revocation once', async () => {
    const couponId = await server.createCoupon({ totalQuantity: 2 });
    await acceptRequests(couponId, 2);
    await server.lab.redis.srem(server.lab.keys.couponRequests(couponId), 1);
    expect(await server.lab.strategies.lua.issue({ couponId, userId: 3 })).toEqual({ outcome: 'accepted' });
    const dying = consumer('revokes-then-dies');
    const entries = await dying.source.readNew(10);
    expect(await dying.write(entries)).toMatchObject({ written: 2, revoked: 1, parked: 0 });
    await dying.stop(); // committed, never acknowledged

    const fresh = consumer('replays-the-revocation');
    expect(await fresh.persist(await fresh.source.claimStale())).toEqual({ written: 0, revoked: 0, parked: 0 });
    await fresh.stop();
    expect((await server.get(`/v1/coupons/${couponId}`)).body).toMatchObject({ issuedQuantity: 2, revokedQuantity: 1 });
  });
});
