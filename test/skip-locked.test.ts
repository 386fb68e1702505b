import { afterEach, describe, expect, it } from 'vitest';
import { startMariadb, type PrivateMariadb } from '../harness/instances.js';
import { createDb, prepareDatabase } from '../src/core/db.js';
import { silentLog } from '../src/core/log.js';
import { crowd, startTestServer, useTestServer, waitFor, type TestServer } from './support/lab.js';

/** skip-locked: one row per unsold place, each request taking one with SELECT … FOR UPDATE SKIP LOCKED. */
const users = (first: number, count: number) => Array.from({ length: count }, (_, i) => first + i);
const issueAll = (server: TestServer, couponId: number, ids: number[]) =>
  crowd(ids.map((userId) => () => server.post(`/v1/strategies/skip-locked/coupons/${couponId}/issues`, { userId })));

describe('skip-locked on MariaDB, with and without snapshot isolation', () => {
  const started: { stop(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const part of started.splice(0)) await part.stop(); // the server before the database it uses
  });

  async function serverOnMariadb(snapshotIsolation: boolean): Promise<TestServer> {
    const mysql: PrivateMariadb = await startMariadb();
    started.push(mysql);
    await prepareDatabase(mysql.url);
    const admin = createDb(mysql.url, 1, silentLog);
    try {
      await admin.raw(`SET GLOBAL innodb_snapshot_isolation = ${snapshotIsolation ? 'ON' : 'OFF'}`);
    } finally {
      await admin.destroy();
    }
    const server = await startTestServer({ MYSQL_URL: mysql.url, CONSUMER_IN_PROCESS: 'false', UNIT_BATCH: '20' });
    started.unshift({ stop: () => server.close() });
    return server;
  }

  // Batches of 20 for 50 places: requests race for the last units of a batch while the next is made.
  it.each([false, true])('innodb_snapshot_isolation %s: 300 users for 50 places, exactly 50, the others told sold out', async (snapshotIsolation) => {
    const server = await serverOnMariadb(snapshotIsolation);
    const couponId = await server.createCoupon({ totalQuantity: 50 });
    expect(await issueAll(server, couponId, users(1, 300))).toEqual({ 201: 50, COUPON_SOLD_OUT: 250 });
    expect(await server.rows(couponId)).toEqual({ rows: 50, users: 50, issuedQuantity: 50 });
    expect(await server.lab.db('coupon_units').where({ coupon_id: couponId }).count({ n: '*' }).first()).toEqual({ n: 0 });
  });
});

describe('skip-locked units', () => {
  const server = useTestServer({ UNIT_BATCH: '100' });
  const coupon = (couponId: number) => server.lab.db('coupons').where({ id: couponId }).first('issued_quantity', 'units_created');
  const unitsLeft = async (couponId: number) =>
    Number(((await server.lab.db('coupon_units').where({ coupon_id: couponId }).count({ n: '*' }).first()) as { n: number }).n);

  it('for ten million places, are made a batch at a time, and no request writes the coupon row', async () => {
    const couponId = await server.createCoupon({ totalQuantity: 10_000_000 });
    expect(await issueAll(server, couponId, users(1, 150))).toEqual({ 201: 150 });
    // The count moved by whole batches of 100 as they were made, and by nothing else: the 150 sales
    // wrote only their own units. (How many batches depends on how the requests met: a request that
    // finds every unit of the latest batch held by others makes the next.)
    const { issued_quantity: taken, units_created: created } = await coupon(couponId);
    expect(taken).toBe(created);
    expect(created % 100).toBe(0);
    expect(created).toBeGreaterThanOrEqual(200);
    expect(created).toBeLessThanOrEqual(1_000);
    expect(await unitsLeft(couponId)).toBe(created - 150);
    expect(await server.rows(couponId)).toEqual({ rows: 150, users: 150, issuedQuantity: 150 });
  });

  it('are not told sold out while a unit is held by a sale that may roll back: they wait for it, and the last one sells', async () => {
    const couponId = await server.createCoupon({ totalQuantity: 3 });
    expect(await issueAll(server, couponId, users(1, 2))).toEqual({ 201: 2 });
    // A sale holding the last unit, which this test will roll back.
    const sale = await server.lab.db.transaction();
    let asked: Promise<Record<string, number>>;
    try {
      await sale('coupon_units').where({ coupon_id: couponId }).forUpdate().first('unit_no');
      asked = issueAll(server, couponId, users(10, 5));
      await waitFor(async () => (await waitingForUnits()) === 5, 'every request waits for the held unit');
    } finally {
      await sale.rollback();
    }
    expect(await asked).toEqual({ 201: 1, COUPON_SOLD_OUT: 4 });
    expect(await server.rows(couponId)).toEqual({ rows: 3, users: 3, issuedQuantity: 3 });
    expect(await unitsLeft(couponId)).toBe(0);
  });

  /** Requests waiting for a unit another sale holds (the claim that does not skip locked units). */
  async function waitingForUnits(): Promise<number> {
    const [[row]] = (await server.lab.db.raw(
      "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE 'select `unit_no`, `coupon_version` from `coupon_units`%for update'",
    )) as [[{ n: number }]];
    return Number(row.n);
  }

  it('of the terms before a PATCH are never sold: lowered, nothing past the new quantity; raised, the added places sell', async () => {
    const couponId = await server.createCoupon({ totalQuantity: 20 });
    const patch = (totalQuantity: number) => server.request('PATCH', `/v1/coupons/${couponId}`, { body: { totalQuantity } });
    expect(await issueAll(server, couponId, users(1, 4))).toEqual({ 201: 4 }); // 16 units left
    expect((await patch(6)).body).toMatchObject({ totalQuantity: 6, issuedQuantity: 4 });
    expect(await issueAll(server, couponId, users(5, 10))).toEqual({ 201: 2, COUPON_SOLD_OUT: 8 });
    expect((await patch(9)).body).toMatchObject({ totalQuantity: 9, issuedQuantity: 6 });
    expect(await issueAll(server, couponId, users(15, 10))).toEqual({ 201: 3, COUPON_SOLD_OUT: 7 });
    expect(await server.rows(couponId)).toEqual({ rows: 9, users: 9, issuedQuantity: 9 });
  });
});
