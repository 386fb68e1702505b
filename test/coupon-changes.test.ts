import { setTimeout } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { pruneFinishedStreams } from '../src/core/issue-stream/registry.js';
import { crowd, expectErrorAnswer, HOUR, iso, useServerWithoutRedis, useTestServer, waitFor, type HttpAnswer, type TestServer } from './support/lab.js';

const server = useTestServer();

const userIds = (first: number, count: number) => Array.from({ length: count }, (_, i) => first + i);

const patch = (couponId: number | string, body: unknown, on: TestServer = server): Promise<HttpAnswer> =>
  on.request('PATCH', `/v1/coupons/${couponId}`, { body });

const issue = (strategy: string, couponId: number, userId: number) => server.post(`/v1/strategies/${strategy}/coupons/${couponId}/issues`, { userId });

const issueAll = (strategy: string, couponId: number, users: number[]) => crowd(users.map((userId) => () => issue(strategy, couponId, userId)));

/** The coupon's row as MySQL holds it, version included. */
const storedRow = (couponId: number) => server.lab.db('coupons').where({ id: couponId }).first();

/**
 * The terms the lua path judges requests by ({} if it never loaded the coupon), without the
 * run id of the server its requests set was rebuilt on (test/faults.test.ts is about that).
 */
async function redisTerms(couponId: number): Promise<Record<string, string>> {
  const { run: _run, ...terms } = await server.lab.redis.hgetall(server.lab.keys.couponTerms(couponId));
  return terms;
}

describe('PATCH /v1/coupons/:couponId', () => {
  it('answers the coupon as GET shows it, with the version kept inside', async () => {
    const couponId = await server.createCoupon({ totalQuantity: 5 });
    const changed = await patch(couponId, { title: 'Renamed', discountAmount: 700, issueStartAt: iso(-HOUR) });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ id: couponId, title: 'Renamed', totalQuantity: 5, discountAmount: 700 });
    expect(changed.body).not.toHaveProperty('version');
    expect(changed.body).toEqual((await server.get(`/v1/coupons/${couponId}`)).body);
    expect((await storedRow(couponId)).version).toBe(2);
  });

  it('lowers the quantity below what is issued without revoking anything: the coupon is sold out', async () => {
    const couponId = await server.createCoupon({ totalQuantity: 5 });
    expect(await issueAll('record-lock', couponId, [1, 2, 3])).toEqual({ 201: 3 });
    expect(await issueAll('lua', couponId, [4])).toEqual({ 202: 1 });
    const changed = await patch(couponId, { totalQuantity: 2 });
    expect(changed.status).toBe(200);
    expect(changed.body.totalQuantity).toBe(2);
    expectErrorAnswer(await issue('lua', couponId, 5), 409, 'COUPON_SOLD_OUT');
    expectErrorAnswer(await issue('record-lock', couponId, 6), 409, 'COUPON_SOLD_OUT');
    await server.drained(couponId);
    expect(await server.rows(couponId)).toEqual({ rows: 4, users: 4, issuedQuantity: 4 });
  });

  it('does not load a coupon the lua path never asked for; its first request loads the new terms', async () => {
    const couponId = await server.createCoupon({ totalQuantity: 1 });
    expect((await patch(couponId, { totalQuantity: 2 })).status).toBe(200);
    // A refresh must not create the hash: the requests set was never seeded from MySQL.
    expect(await redisTerms(couponId)).toEqual({});
    expect(await issueAll('lua', couponId, [1, 2, 3])).toEqual({ 202: 2, COUPON_SOLD_OUT: 1 });
    expect(await redisTerms(couponId)).toEqual({ v: '2', total: '2' });
  });

  it('moves window bounds to the edges of the range, read back as sent', async () => {
    const couponId = await server.createCoupon({ totalQuantity: 5 });
    const bounds = { issueStartAt: '1000-01-01T00:00:00.000Z', issueEndAt: '9999-12-31T23:59:59.999Z' };
    expect((await patch(couponId, bounds)).body).toMatchObject(bounds);
    expect((await server.get(`/v1/coupons/${couponId}`)).body).toMatchObject(bounds);
  });
});

describe('raising the quantity of a sold-out lua coupon', () => {
  it('admits exactly the added places, and the consumer writes them', async () => {
    const couponId = await server.createCoupon({ totalQuantity: 5 });
    expect(await issueAll('lua', couponId, userIds(1, 5))).toEqual({ 202: 5 });
    expectErrorAnswer(await issue('lua', couponId, 6), 409, 'COUPON_SOLD_OUT');
    await server.drained(couponId);
    // What the consumer does by itself every CONSUMER_CLAIM_IDLE_MS / 2: it stops reading the
    // stream of a coupon that is sold out in Redis. Done here so the raise must undo it.
    await pruneFinishedStreams(server.lab.redis, server.lab.keys);
    expect(await server.lab.redis.sismember(server.lab.keys.streamRegistry, String(couponId))).toBe(0);

    const changed = await patch(couponId, { totalQuantity: 8 });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ totalQuantity: 8, issuedQuantity: 5, pendingQuantity: 0 });

    expect(await issueAll('lua', couponId, userIds(6, 10))).toEqual({ 202: 3, COUPON_SOLD_OUT: 7 });
    await server.drained(couponId);
    expect(await server.rows(couponId)).toEqual({ rows: 8, users: 8, issuedQuantity: 8 });
  });
});

describe.each([
  ['lua', 202],
  ['record-lock', 201],
])('changing the window of a coupon %s is issuing', (strategy, success) => {
  it('closes it for the very next request, and reopens it', async () => {
    const couponId = await server.createCoupon({ totalQuantity: 10, issueStartAt: iso(-HOUR) });
    expect((await issue(strategy, couponId, 1)).status).toBe(success); // lua loads the terms here

    const closed = await patch(couponId, { issueEndAt: iso(-1_000) });
    expect(closed.status).toBe(200);
    expectErrorAnswer(await issue(strategy, couponId, 2), 409, 'COUPON_NOT_IN_ISSUE_WINDOW');

    const reopened = await patch(couponId, { issueEndAt: null });
    expect({ status: reopened.status, issueEndAt: reopened.body.issueEndAt }).toEqual({ status: 200, issueEndAt: null });
    expect((await issue(strategy, couponId, 2)).status).toBe(success);

    if (strategy === 'lua') {
      // The removed bound is gone from Redis, not left behind beside the new terms.
      const row = await storedRow(couponId);
      expect(await redisTerms(couponId)).toEqual({ v: '3', total: '10', start: String(row.issue_start_at.getTime()) });
    }
  });
});

describe('writers racing across processes', () => {
  // A second server on the same MySQL and Redis keys: another process of the same lab.
  // On the same Redis keys as `server`, whose keys they are to delete.
  const other = useTestServer(() => ({ REDIS_KEY_PREFIX: server.config.REDIS_KEY_PREFIX, CONSUMER_IN_PROCESS: 'false' }), { keys: 'keep' });

  /**
   * Holds every command the other server sends to Redis from now on: a BLPOP blocks its
   * connection, and what it sends later waits behind it, in order. Returns the release.
   */
  function holdRedisOfOther(): () => Promise<void> {
    const key = `${server.config.REDIS_KEY_PREFIX}test:hold`;
    const held = other.lab.redis.blpop(key, 10);
    return async () => {
      await server.lab.redis.lpush(key, 'release');
      expect(await held).not.toBeNull();
    };
  }

  it('a change committed while another process loads the coupon is not lost', async () => {
    // Users who already hold the coupon (as after Redis lost its copy) make the loader read
    // them after reading the coupon: the moment it is held in, between its read and its write.
    const holders = 30_000; // reading and seeding these keeps the loader between its read and its write for a while
    const couponId = await server.createCoupon({ totalQuantity: holders + 1 });
    await server.lab.db('coupon_issues').insert(userIds(1_000_000, holders).map((userId) => ({ coupon_id: couponId, user_id: userId, issued_at: new Date() })));
    await server.lab.db('coupons').where({ id: couponId }).update({ issued_quantity: holders });

    const first = other.post(`/v1/strategies/lua/coupons/${couponId}/issues`, { userId: 1 }); // loads the coupon
    // The loader creates the coupon's stream right after reading the coupon (version 1); polled
    // every millisecond, as it then spends only a few reading the holders.
    const { redis, keys } = server.lab;
    while (!(await redis.exists(keys.couponStream(couponId)))) await setTimeout(1);
    const release = holdRedisOfOther();
    try {
      expect((await patch(couponId, { totalQuantity: holders + 2 })).status).toBe(200);
      // The change found no terms to refresh: the loader has read version 1 and not written yet.
      expect(await redisTerms(couponId)).toEqual({});
    } finally {
      await release();
    }

    // The request is answered once loading is done: by then the terms must be version 2's.
    expect((await first).status).toBe(202);
    expect(await redisTerms(couponId)).toEqual({ v: '2', total: String(holders + 2) });
    expect(await issueAll('lua', couponId, [2, 3])).toEqual({ 202: 1, COUPON_SOLD_OUT: 1 });
  });

  it('a refresh that arrives after a newer one leaves the newer terms', async () => {
    const couponId = await server.createCoupon({ totalQuantity: 5 });
    expect(await issueAll('lua', couponId, [1])).toEqual({ 202: 1 }); // loaded: version 1

    const release = holdRedisOfOther();
    const older = patch(couponId, { totalQuantity: 6 }, other); // commits version 2, its refresh waits
    try {
      await waitFor(async () => (await storedRow(couponId)).version === 2, 'version 2 committed');
      expect((await patch(couponId, { totalQuantity: 1 })).status).toBe(200); // version 3, refreshed
      expect(await redisTerms(couponId)).toEqual({ v: '3', total: '1' });
    } finally {
      await release();
    }
    expect((await older).status).toBe(200);
    expect(await redisTerms(couponId)).toEqual({ v: '3', total: '1' });
    expectErrorAnswer(await issue('lua', couponId, 2), 409, 'COUPON_SOLD_OUT');
  });
});

describe('changes racing a crowd on a coupon not yet loaded', () => {
  const initial = 100;
  const changes = [50, 200, 30, 120, 80];
  const final = changes.at(-1)!;

  it('leave the newest terms in Redis, and never admit more than some quantity allowed', async () => {
    const couponId = await server.createCoupon({ totalQuantity: initial });
    expect(await redisTerms(couponId)).toEqual({});

    // 300 requests (the first to arrive loads the coupon) while the changes commit one after another.
    const [tally] = await Promise.all([
      issueAll('lua', couponId, userIds(1, 300)),
      (async () => {
        for (const totalQuantity of changes) expect((await patch(couponId, { totalQuantity })).status).toBe(200);
      })(),
    ]);

    const row = await storedRow(couponId);
    expect({ total: row.total_quantity, version: row.version }).toEqual({ total: final, version: 1 + changes.length });
    expect(await redisTerms(couponId)).toEqual({ v: String(row.version), total: String(final) });

    // A request is admitted only while fewer are admitted than the quantity Redis holds then,
    // and refused only when at least as many are: so what was admitted lies between the
    // smallest and the largest quantity the coupon ever had (300 > the largest: some are refused).
    const accepted = tally['202'] ?? 0;
    expect(accepted + (tally.COUPON_SOLD_OUT ?? 0)).toBe(300);
    expect(accepted).toBeLessThanOrEqual(Math.max(initial, ...changes));
    expect(accepted).toBeGreaterThanOrEqual(Math.min(initial, ...changes));
    await server.drained(couponId);
    expect(await server.rows(couponId)).toEqual({ rows: accepted, users: accepted, issuedQuantity: accepted });

    // From now on the final quantity alone decides: new users get exactly the places left under it.
    const left = Math.max(0, final - accepted);
    const more = await issueAll('lua', couponId, userIds(1_001, 100));
    expect(more).toEqual(left > 0 ? { 202: left, COUPON_SOLD_OUT: 100 - left } : { COUPON_SOLD_OUT: 100 });
    await server.drained(couponId);
    const total = accepted + left;
    expect(await server.rows(couponId)).toEqual({ rows: total, users: total, issuedQuantity: total });
  });
});

describe('bad changes get a 4xx with a code and change nothing', () => {
  let couponId: number;
  /** The coupon as MySQL and Redis hold it, version included. */
  const snapshot = async () => ({ row: await storedRow(couponId), terms: await redisTerms(couponId) });

  beforeAll(async () => {
    couponId = await server.createCoupon({ totalQuantity: 5, issueStartAt: iso(-HOUR), issueEndAt: iso(HOUR) });
    expect((await issue('lua', couponId, 1)).status).toBe(202); // so Redis holds terms that must not change
    await server.drained(couponId); // the consumer's write would change the row under the comparisons
  });

  it.each([
    ['no body', undefined],
    ['no fields', {}],
    ['an unknown field', { totalQty: 10 }],
    ['an unknown field beside a good one', { totalQuantity: 10, totalQty: 10 }],
    ['a zero quantity', { totalQuantity: 0 }],
    ['a fractional quantity', { totalQuantity: 1.5 }],
    ['a quantity as text', { totalQuantity: '10' }],
    ['a null quantity', { totalQuantity: null }],
    ['a blank title', { title: '  ' }],
    ['a negative discount', { discountAmount: -1 }],
    ['a date that is not one', { issueEndAt: 'tomorrow' }],
    ['an end before the stored start', { issueEndAt: iso(-2 * HOUR) }],
    ['a start after the stored end', { issueStartAt: iso(2 * HOUR), totalQuantity: 10 }],
    ['a window that ends before it starts', { issueStartAt: iso(3 * HOUR), issueEndAt: iso(2 * HOUR) }],
    ['an end in year 10000 once in UTC', { issueEndAt: '9999-12-31T23:59:59-01:00' }],
    ['a start just before 1000 in UTC', { issueStartAt: '0999-12-31T23:59:59.999Z' }],
    ['a JSON array', [1]],
    ['malformed JSON', '{"totalQuantity": 8'],
  ])('%s: 400', async (_case, body) => {
    const before = await snapshot();
    const answer = await patch(couponId, body);
    expectErrorAnswer(answer, 400, 'INVALID_REQUEST');
    if (_case.startsWith('an unknown field')) expect(answer.body.message).toContain('totalQty');
    expect(await snapshot()).toEqual(before);
  });

  it.each(['abc', '0', '-1', '1.5', '9007199254740993'])('the id %s: 400', async (id) => {
    const before = await snapshot();
    expectErrorAnswer(await patch(id, { totalQuantity: 8 }), 400, 'INVALID_REQUEST');
    expect(await snapshot()).toEqual(before);
  });

  it('an unknown coupon: 404, and no row appears', async () => {
    const unknown = 999_999_999_999;
    expectErrorAnswer(await patch(unknown, { totalQuantity: 8 }), 404, 'COUPON_NOT_FOUND');
    expect(await storedRow(unknown)).toBeUndefined();
  });
});

describe('with Redis unreachable after the commit', () => {
  const down = useServerWithoutRedis();

  it('the change stands, the answer is 503 and says so, and sending it again refreshes Redis', async () => {
    const couponId = await server.createCoupon({ totalQuantity: 1 });
    expect(await issueAll('lua', couponId, [1, 2])).toEqual({ 202: 1, COUPON_SOLD_OUT: 1 });

    const answer = await patch(couponId, { totalQuantity: 2 }, down);
    expectErrorAnswer(answer, 503, 'SERVICE_UNAVAILABLE');
    expect(answer.body.message).toMatch(/saved.*Redis.*again/);
    expect(await storedRow(couponId)).toMatchObject({ total_quantity: 2, version: 2 });
    expect(await redisTerms(couponId)).toEqual({ v: '1', total: '1' }); // stale until the change is sent again
    expectErrorAnswer(await issue('lua', couponId, 2), 409, 'COUPON_SOLD_OUT');

    expect((await patch(couponId, { totalQuantity: 2 })).status).toBe(200);
    expect(await redisTerms(couponId)).toEqual({ v: '3', total: '2' });
    expect(await issueAll('lua', couponId, [2])).toEqual({ 202: 1 });
  });
});
