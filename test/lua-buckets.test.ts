import { describe, expect, it } from 'vitest';
import { CONSUMER_GROUP, pruneFinishedStreams } from '../src/core/issue-stream/registry.js';
import { BucketAdmission, Credit, Seal } from '../src/redis-scripts/replies.js';
import { TRANSFER_GRACE_MS } from '../src/strategies/lua-buckets/fallback.js';
import type { Bucket } from '../src/strategies/lua-buckets/layout.js';
import { SPLIT_STALL_MS } from '../src/strategies/lua-buckets.js';
import { layoutOf, soldOutWhileAvailable, timedCrowd, usersOfBucket } from './support/buckets.js';
import { crowd, useTestServer, type TestServer } from './support/lab.js';

/**
 * lua-buckets on one Redis: what its fallback and its splits leave when a step between two
 * buckets is cut short (a process killed, or paused and resumed), played step by step with the
 * scripts the strategy runs; and the crowds that make it move places. Three buckets (LUA_BUCKETS'
 * default); test/cluster.test.ts runs the crowds on three masters.
 */
const server = useTestServer();
const BUCKETS = 3;
const redis = () => server.lab.redis;

const issue = (couponId: number, userId: number) => server.post(`/v1/strategies/lua-buckets/coupons/${couponId}/issues`, { userId });

/** One request after the other: the order of the answers is the order places went. */
async function oneByOne(couponId: number, users: number[]): Promise<string[]> {
  const answers: string[] = [];
  for (const userId of users) {
    const { status, body } = await issue(couponId, userId);
    answers.push(status === 202 ? '202' : String(body?.code ?? status));
  }
  return answers;
}

/** A coupon of `quantity` split over the three buckets (two places each for 6), one taken in the third. */
async function splitCoupon(quantity: number) {
  const couponId = await server.createCoupon({ totalQuantity: quantity });
  // The first request splits it, and takes a place of the third bucket.
  expect((await issue(couponId, usersOfBucket(2, BUCKETS, 1)[0]!)).status).toBe(202);
  await server.drained(couponId); // its entry, admitted under the first quantity, written before any change
  const layout = await layoutOf(server, couponId);
  const generation = Number(await redis().hget(layout.buckets[0]!.terms, 'gen'));
  return { couponId, layout, generation };
}

const share = async (bucket: Bucket) => Number(await redis().hget(bucket.terms, 'share'));

async function settled(couponId: number) {
  await server.drained(couponId);
  return server.rows(couponId);
}

describe('lua-buckets: a step between two buckets cut short', () => {
  it('places taken from a bucket by a sender that died before crediting them are completed by a later request, and sold', async () => {
    const { couponId, layout, generation } = await splitCoupon(6);
    const [home, donor] = layout.buckets as [Bucket, Bucket];
    expect(await redis().takeFromBucket(donor.terms, donor.requests, donor.transfers, 'died-after-take', home.index, generation, Date.now())).toBe(1);

    // Five places are free and one is on its way: the sixth user must wait for it, not be told sold out.
    const started = Date.now();
    expect(await oneByOne(couponId, usersOfBucket(home.index, BUCKETS, 7))).toEqual(['202', '202', '202', '202', '202', 'COUPON_SOLD_OUT', 'COUPON_SOLD_OUT']);
    expect(await redis().hlen(donor.transfers)).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(TRANSFER_GRACE_MS);
    expect(await settled(couponId)).toEqual({ rows: 6, users: 6, issuedQuantity: 6 });
  });

  it('a transfer credited and never forgotten by its dead sender is completed without crediting it twice', async () => {
    const { couponId, layout, generation } = await splitCoupon(6);
    const [home, donor] = layout.buckets as [Bucket, Bucket];
    const taken = await redis().takeFromBucket(donor.terms, donor.requests, donor.transfers, 'died-after-credit', home.index, generation, Date.now());
    const credit = () =>
      redis().admitAtBucket(home.terms, home.requests, home.stream, home.credited, '', Date.now(), couponId, 'died-after-credit', taken, generation);
    expect(await credit()).toEqual([BucketAdmission.RECEIVED]);
    expect(await share(home)).toBe(3);

    const answers = await oneByOne(couponId, usersOfBucket(home.index, BUCKETS, 9));
    expect(answers.filter((a) => a === '202')).toHaveLength(5);
    expect(answers.slice(5)).toEqual(['COUPON_SOLD_OUT', 'COUPON_SOLD_OUT', 'COUPON_SOLD_OUT', 'COUPON_SOLD_OUT']);
    expect(await settled(couponId)).toEqual({ rows: 6, users: 6, issuedQuantity: 6 });
  });

  it('a paused sender that resumes after another request completed its transfer adds nothing: the transfer is credited once', async () => {
    const { couponId, layout, generation } = await splitCoupon(6);
    const [home, donor] = layout.buckets as [Bucket, Bucket];
    const taken = await redis().takeFromBucket(donor.terms, donor.requests, donor.transfers, 'paused', home.index, generation, Date.now());
    const credit = () => redis().admitAtBucket(home.terms, home.requests, home.stream, home.credited, '', Date.now(), couponId, 'paused', taken, generation);
    await credit(); // the request that found it stranded
    await redis().hdel(donor.transfers, 'paused');
    await credit(); // the sender, back
    expect(await share(home)).toBe(3);
    expect(await share(donor)).toBe(1);
    expect(await crowd(usersOfBucket(home.index, BUCKETS, 20).map((userId) => () => issue(couponId, userId)))).toEqual({ 202: 5, COUPON_SOLD_OUT: 15 });
    expect(await settled(couponId)).toEqual({ rows: 6, users: 6, issuedQuantity: 6 });
  });

  it('a transfer of a generation a split has replaced is void: the split counted its places', async () => {
    const { couponId, layout, generation } = await splitCoupon(6);
    const [home, donor] = layout.buckets as [Bucket, Bucket];
    const taken = await redis().takeFromBucket(donor.terms, donor.requests, donor.transfers, 'older', home.index, generation, Date.now());
    expect((await server.request('PATCH', `/v1/coupons/${couponId}`, { body: { totalQuantity: 9 } })).status).toBe(200);
    await redis().admitAtBucket(home.terms, home.requests, home.stream, home.credited, '', Date.now(), couponId, 'older', taken, generation);
    expect(await redis().hlen(donor.transfers)).toBe(0);
    expect(await crowd(usersOfBucket(home.index, BUCKETS, 20).map((userId) => () => issue(couponId, userId)))).toEqual({ 202: 8, COUPON_SOLD_OUT: 12 });
    expect(await settled(couponId)).toEqual({ rows: 9, users: 9, issuedQuantity: 9 });
  });

  it('a split that died between sealing and crediting is split again by the requests that find it stalled, and a late credit of it adds nothing', async () => {
    const { couponId, layout } = await splitCoupon(6);
    const dead = { generation: Date.now() + 1, owner: 'died-after-sealing' };
    const { body: coupon } = await server.get(`/v1/coupons/${couponId}`);
    const version = Number((await server.lab.db('coupons').where({ id: couponId }).first('version')).version);
    for (const bucket of layout.buckets) {
      const [code] = await redis().sealBucket(
        bucket.terms,
        bucket.requests,
        bucket.transfers,
        bucket.credited,
        bucket.stream,
        'resplit',
        dead.generation,
        dead.owner,
        version,
        coupon.totalQuantity,
        '',
        '',
        '',
        Date.now(),
        CONSUMER_GROUP,
      );
      expect(code).toBe(Seal.SEALED);
    }
    const started = Date.now();
    expect(await oneByOne(couponId, usersOfBucket(0, BUCKETS, 7, 1000))).toEqual(['202', '202', '202', '202', '202', 'COUPON_SOLD_OUT', 'COUPON_SOLD_OUT']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(SPLIT_STALL_MS);
    // The dead split's process, resumed: its credit is of a generation no bucket is in any more.
    for (const bucket of layout.buckets) expect(await redis().creditBucket(bucket.terms, dead.generation, dead.owner, 2)).toBe(Credit.SUPERSEDED);
    expect(await oneByOne(couponId, usersOfBucket(1, BUCKETS, 2, 1000))).toEqual(['COUPON_SOLD_OUT', 'COUPON_SOLD_OUT']);
    expect(await settled(couponId)).toEqual({ rows: 6, users: 6, issuedQuantity: 6 });
  });
});

describe('lua-buckets under a crowd', () => {
  it('sells every place to a crowd whose every user is homed in one bucket, and tells none sold out while a place remained', async () => {
    const couponId = await server.createCoupon({ totalQuantity: 60 });
    const answers = await timedCrowd(server, couponId, usersOfBucket(0, BUCKETS, 300));
    expect(tallyOf(answers)).toEqual({ 202: 60, COUPON_SOLD_OUT: 240 });
    expect(soldOutWhileAvailable(answers)).toBe(0);
    expect(await settled(couponId)).toEqual({ rows: 60, users: 60, issuedQuantity: 60 });
  });

  it('admits a user once when their home bucket is empty and fifty of their requests arrive at once, each looking elsewhere', async () => {
    const { couponId, layout } = await splitCoupon(6);
    const home = layout.buckets[0]!;
    const [first, second, user] = usersOfBucket(home.index, BUCKETS, 3, 5000) as [number, number, number];
    expect(await oneByOne(couponId, [first, second])).toEqual(['202', '202']);
    expect(await share(home)).toBe(2); // home is full: every request of the user looks at the other buckets
    expect(await crowd(Array.from({ length: 50 }, () => () => issue(couponId, user)))).toEqual({ 202: 1, ALREADY_ISSUED: 49 });
    expect(await settled(couponId)).toEqual({ rows: 4, users: 4, issuedQuantity: 4 });
  });

  it('writes what a bucket admits with places moved to it after the consumer stopped reading it, its own share taken', async () => {
    const { couponId, layout } = await splitCoupon(6);
    const home = layout.buckets[0]!;
    const [first, second, third] = usersOfBucket(home.index, BUCKETS, 3, 7000) as [number, number, number];
    expect(await oneByOne(couponId, [first, second])).toEqual(['202', '202']);
    await server.drained(couponId);
    await pruneFinishedStreams(redis(), server.lab.keys); // home's share is taken and its stream empty: no longer read
    expect(await redis().sismember(server.lab.keys.streamRegistry, home.tag)).toBe(0);
    expect(await oneByOne(couponId, [third])).toEqual(['202']); // with a place moved to home
    expect(await redis().sismember(server.lab.keys.streamRegistry, home.tag)).toBe(1); // read again
    expect(await settled(couponId)).toEqual({ rows: 4, users: 4, issuedQuantity: 4 });
  });

  it('re-splits on a change of the quantity: a raise sells exactly the places added, a cut below what is taken sells none', async () => {
    const couponId = await server.createCoupon({ totalQuantity: 30 });
    expect(await crowd(Array.from({ length: 10 }, (_, i) => () => issue(couponId, i + 1)))).toEqual({ 202: 10 });
    expect((await server.request('PATCH', `/v1/coupons/${couponId}`, { body: { totalQuantity: 60 } })).status).toBe(200);
    expect(await crowd(Array.from({ length: 100 }, (_, i) => () => issue(couponId, i + 11)))).toEqual({ 202: 50, COUPON_SOLD_OUT: 50 });
    // Written first: the consumer judges each entry against the quantity it was admitted under,
    // and one read only after the cut would be revoked (docs/strategies.md, lua-buckets' pitfall).
    await server.drained(couponId);
    expect((await server.request('PATCH', `/v1/coupons/${couponId}`, { body: { totalQuantity: 40 } })).status).toBe(200);
    expect(await crowd(Array.from({ length: 30 }, (_, i) => () => issue(couponId, i + 200)))).toEqual({ COUPON_SOLD_OUT: 30 });
    expect(await settled(couponId)).toEqual({ rows: 60, users: 60, issuedQuantity: 60 });
  });
});

function tallyOf(answers: { answer: { status: number; body: any } }[]): Record<string, number> {
  const tally: Record<string, number> = {};
  for (const { answer } of answers) {
    const key = answer.status < 300 ? String(answer.status) : String(answer.body?.code ?? answer.status);
    tally[key] = (tally[key] ?? 0) + 1;
  }
  return tally;
}

export type { TestServer };
