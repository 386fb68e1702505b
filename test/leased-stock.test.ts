import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { kill, spawnServer, type ServerProcess } from '../harness/server-process.js';
import type { Env } from '../src/core/config.js';
import { createCoupon } from '../src/core/coupon-service.js';
import { settleLeases } from '../src/core/stock-leases.js';
import { createLab, type Lab } from '../src/lab.js';
import { countRows } from '../lab-client/rows.js';
import { testConfig } from './support/config.js';
import { crowd, useTestServer, waitFor, type HttpAnswer, type TestServer } from './support/lab.js';

/**
 * leased-stock: blocks of places leased to server processes. Processes that die or pause while
 * they hold a block are real processes here, killed and stopped with signals.
 */
const users = (first: number, count: number) => Array.from({ length: count }, (_, i) => first + i);

async function issue(url: string, couponId: number, userId: number): Promise<HttpAnswer> {
  const response = await fetch(`${url}/v1/strategies/leased-stock/coupons/${couponId}/issues`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userId }),
  });
  return { status: response.status, body: await response.json(), headers: response.headers };
}

const issueAll = (url: string, couponId: number, ids: number[]) => crowd(ids.map((userId) => () => issue(url, couponId, userId)));

describe('leased-stock with real server processes', () => {
  // Short leases and a quick reclaimer, so that a lease runs out within a test.
  const settings: Env = { LEASE_BLOCK: '10', LEASE_TTL_MS: '1000', LEASE_RECLAIM_MS: '200', CONSUMER_IN_PROCESS: 'false' };
  const config = testConfig(settings);
  let lab: Lab;
  const servers: ServerProcess[] = [];
  beforeAll(() => {
    lab = createLab(config);
  });
  afterEach(async () => {
    for (const server of servers) server.child.kill('SIGCONT'); // a stopped process cannot exit
    await Promise.all(servers.splice(0).map((server) => kill(server, 'SIGKILL')));
  });
  afterAll(() => lab.close());

  /** Two server processes on the test's database, with `overrides` of the settings above. */
  async function twoServers(overrides: Env = {}): Promise<[ServerProcess, ServerProcess]> {
    const own = testConfig({ ...settings, ...overrides });
    const started = await Promise.all([spawnServer(own), spawnServer(own)]);
    servers.push(...started);
    return started;
  }

  const newCoupon = async (totalQuantity: number) =>
    (await createCoupon(lab, { title: 'leased', totalQuantity, discountAmount: 0, minAvailableAmount: 0, issueStartAt: null, issueEndAt: null })).id;

  /** The coupon's blocks, oldest first. */
  const leasesOf = (couponId: number) =>
    lab.db('coupon_stock_leases').where({ coupon_id: couponId }).orderBy('id').select('id', 'owner', 'granted', 'sold', 'settled_at', 'expires_at');

  const expired = async (leaseId: number) => {
    const [[row]] = (await lab.db.raw('SELECT expires_at <= NOW(3) AS ran_out FROM coupon_stock_leases WHERE id = ?', [leaseId])) as [[{ ran_out: number }]];
    return row.ran_out === 1;
  };

  it('a process killed holding a block: the reclaimer gives its unsold places back, and the coupon sells exactly its quantity', async () => {
    const couponId = await newCoupon(25);
    const [killed, other] = await twoServers();
    expect(await issueAll(killed.url, couponId, users(1, 3))).toEqual({ 201: 3 });
    const [block] = await leasesOf(couponId);
    expect(block).toMatchObject({ owner: expect.stringContaining(`:${killed.child.pid}:`), granted: 10, settled_at: null });
    await kill(killed, 'SIGKILL'); // 7 places stranded in its block

    // The other process leases a block of its own, which starts its reclaimer, and does not need the stranded places yet.
    expect(await issueAll(other.url, couponId, users(4, 2))).toEqual({ 201: 2 });
    await waitFor(async () => (await leasesOf(couponId))[0]!.settled_at !== null, "the reclaimer gives back the killed process's block");
    expect((await leasesOf(couponId))[0]).toMatchObject({ sold: 3 });
    expect((await countRows(lab.db, couponId)).issuedQuantity).toBe(5);

    expect(await issueAll(other.url, couponId, users(6, 35))).toEqual({ 201: 20, COUPON_SOLD_OUT: 15 });
    expect(await countRows(lab.db, couponId)).toEqual({ rows: 25, users: 25, issuedQuantity: 25 });
  });

  it('a process paused while another takes its block back wakes still counting places of it, and MySQL refuses every row', async () => {
    const couponId = await newCoupon(20);
    // A lease far longer than the pause: the paused process still holds its block by its own clock when it wakes.
    const [paused, other] = await twoServers({ LEASE_TTL_MS: '30000' });
    expect(await issueAll(paused.url, couponId, users(1, 4))).toEqual({ 201: 4 });
    paused.child.kill('SIGSTOP'); // 6 places left in its block, by its own count
    const queued = issueAll(paused.url, couponId, users(100, 6)); // answered once it wakes

    // The other process sells what was left, then finds the count empty and takes the paused one's block back.
    expect(await issueAll(other.url, couponId, users(5, 30))).toEqual({ 201: 16, COUPON_SOLD_OUT: 14 });
    paused.child.kill('SIGCONT');
    expect(await queued).toEqual({ COUPON_SOLD_OUT: 6 });
    expect(await countRows(lab.db, couponId)).toEqual({ rows: 20, users: 20, issuedQuantity: 20 });
    expect((await leasesOf(couponId))[0]).toMatchObject({ sold: 4 });
  });

  it('a process paused past its lease, its rows on their way to MySQL: what arrives after the lease ran out is refused', async () => {
    const couponId = await newCoupon(20);
    // Long enough for the rows to be on their way before the process itself would stop using its block.
    const [paused, other] = await twoServers({ LEASE_TTL_MS: '3000' });
    expect(await issueAll(paused.url, couponId, users(1, 4))).toEqual({ 201: 4 });
    const [block] = await leasesOf(couponId);
    // Its next rows are held up on their way (a lock this test takes on the block's row stands for
    // a slow network or a pause between the process's check and its write), then it is paused.
    const holdUp = await lab.db.transaction();
    let delayed: Promise<Record<string, number>>;
    try {
      await holdUp('coupon_stock_leases').where({ id: block!.id }).forUpdate().first('id');
      delayed = issueAll(paused.url, couponId, users(100, 3));
      await waitFor(async () => (await rowsWaiting()) === 3, 'its three rows wait in MySQL');
      paused.child.kill('SIGSTOP');
      await waitFor(() => expired(block!.id), 'the paused process’s lease runs out by MySQL’s clock');
    } finally {
      await holdUp.rollback(); // the rows arrive, after the lease
    }

    expect(await issueAll(other.url, couponId, users(5, 30))).toEqual({ 201: 16, COUPON_SOLD_OUT: 14 });
    paused.child.kill('SIGCONT');
    expect(await delayed).toEqual({ COUPON_SOLD_OUT: 3 });
    expect(await countRows(lab.db, couponId)).toEqual({ rows: 20, users: 20, issuedQuantity: 20 });
    expect((await leasesOf(couponId))[0]).toMatchObject({ id: block!.id, sold: 4 });
  });

  it('a block that sold more than it was granted (a miscounting process) is ended all the same, the excess kept in the count', async () => {
    const couponId = await newCoupon(10);
    await lab.db('coupons').where({ id: couponId }).update({ issued_quantity: 2 });
    const [leaseId] = (await lab.db('coupon_stock_leases').insert({
      coupon_id: couponId,
      owner: 'test:0:miscounting',
      granted: 2,
      coupon_version: 1,
      expires_at: lab.db.raw('NOW(3) - INTERVAL 1 SECOND'),
    })) as [number];
    await lab.db('coupon_issues').insert(users(1, 3).map((userId) => ({ coupon_id: couponId, user_id: userId, issued_at: new Date(), lease_id: leaseId })));
    expect(await settleLeases(lab.db, { ids: [leaseId] })).toBe(-1);
    expect(await lab.db('coupon_stock_leases').where({ id: leaseId }).first('sold')).toEqual({ sold: 3 });
    expect(await countRows(lab.db, couponId)).toEqual({ rows: 3, users: 3, issuedQuantity: 3 });
  });

  /** Sales under a block running in MySQL now (here: waiting for the lock on their block's row). */
  async function rowsWaiting(): Promise<number> {
    const [[row]] = (await lab.db.raw(
      "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE 'INSERT INTO coupon_issues (coupon_id, user_id, issued_at, lease_id)%'",
    )) as [[{ n: number }]];
    return Number(row.n);
  }
});

describe('leased-stock at the boundary of its blocks, two processes racing', () => {
  // Blocks of 3 divide none of these quantities but 3: the last block is short. Published versions
  // of local stock let the count reach total + 1 there.
  const first = useTestServer({ LEASE_BLOCK: '3' });
  const second = useTestServer(() => ({ LEASE_BLOCK: '3', REDIS_KEY_PREFIX: first.config.REDIS_KEY_PREFIX }), { keys: 'keep' });

  it.each([1, 2, 3, 4, 7, 10])('sells exactly %i places to 40 users, never one more', async (quantity) => {
    const couponId = await first.createCoupon({ totalQuantity: quantity });
    const servers: TestServer[] = [first, second];
    const tally = await crowd(
      users(1, 40).map((userId) => () => servers[userId % 2]!.post(`/v1/strategies/leased-stock/coupons/${couponId}/issues`, { userId })),
    );
    expect(tally).toEqual({ 201: quantity, COUPON_SOLD_OUT: 40 - quantity });
    expect(await first.rows(couponId)).toEqual({ rows: quantity, users: quantity, issuedQuantity: quantity });
  });
});

describe('PATCH of the quantity of a coupon sold by leased-stock', () => {
  const server = useTestServer({ LEASE_BLOCK: '10' });
  const issueHere = (couponId: number, ids: number[]) =>
    crowd(ids.map((userId) => () => server.post(`/v1/strategies/leased-stock/coupons/${couponId}/issues`, { userId })));
  const patch = (couponId: number, totalQuantity: number) => server.request('PATCH', `/v1/coupons/${couponId}`, { body: { totalQuantity } });

  it('ends the blocks granted before it: lowered, nothing they held is sold past the new quantity; raised, the added places sell', async () => {
    const couponId = await server.createCoupon({ totalQuantity: 20 });
    expect(await issueHere(couponId, users(1, 4))).toEqual({ 201: 4 }); // its block holds 6 more
    expect((await patch(couponId, 6)).body).toMatchObject({ totalQuantity: 6, issuedQuantity: 4 });
    expect(await issueHere(couponId, users(5, 10))).toEqual({ 201: 2, COUPON_SOLD_OUT: 8 });
    expect((await patch(couponId, 9)).body).toMatchObject({ totalQuantity: 9, issuedQuantity: 6 });
    expect(await issueHere(couponId, users(15, 10))).toEqual({ 201: 3, COUPON_SOLD_OUT: 7 });
    expect(await server.rows(couponId)).toEqual({ rows: 9, users: 9, issuedQuantity: 9 });
  });
});
