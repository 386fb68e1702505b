import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Db } from '../src/core/db.js';
import type { Verdict } from '../bench/report.js';
import type { CouponCheck } from './report.js';

const DRAIN_TIMEOUT_MS = 120_000;

/**
 * Resolves once the server reports nothing pending for the coupon (what lua accepted and the
 * consumer has not written yet), or after two minutes, with what is still pending. Asked over
 * HTTP rather than read from Redis: with --host, the server's Redis and key prefix are its own.
 */
export async function drainedOverHttp(url: string, couponId: number): Promise<number> {
  const deadline = performance.now() + DRAIN_TIMEOUT_MS;
  for (;;) {
    const response = await fetch(`${url}/v1/coupons/${couponId}`);
    const { pendingQuantity } = (await response.json()) as { pendingQuantity?: number };
    if (typeof pendingQuantity !== 'number') throw new Error(`GET /v1/coupons/${couponId} at ${url} answered ${response.status} without pendingQuantity`);
    if (pendingQuantity === 0 || performance.now() > deadline) return pendingQuantity;
    await sleep(10);
  }
}

/**
 * What MySQL holds for the coupon, judged against its quantity. The title proves the row is
 * the coupon just created on the server: a check against another database fails loudly.
 */
export async function checkCoupon(
  db: Db,
  couponId: number,
  title: string,
  expected: Verdict,
  pending: number,
): Promise<CouponCheck> {
  const coupon = await db('coupons').where({ id: couponId }).first('title', 'total_quantity', 'issued_quantity');
  if (!coupon || coupon.title !== title) {
    throw new Error(`coupon ${couponId} "${title}" is not in this MySQL database: is --mysql-url (MYSQL_URL) the server's?`);
  }
  const [counts] = await db('coupon_issues')
    .where({ coupon_id: couponId })
    .select(db.raw('COUNT(*) AS `rows`'), db.raw('COUNT(DISTINCT user_id) AS users'));
  const rows = Number(counts.rows);
  const distinctUsers = Number(counts.users);
  const totalQuantity = Number(coupon.total_quantity);
  const issuedQuantity = Number(coupon.issued_quantity);
  const problems: string[] = [];
  if (distinctUsers < rows) problems.push(`${rows - distinctUsers} rows held by a user who already holds one`);
  if (issuedQuantity !== rows) problems.push(`issued_quantity ${issuedQuantity} but ${rows} rows`);
  if (pending > 0) problems.push(`${pending} accepted requests still unwritten after ${DRAIN_TIMEOUT_MS / 1000} s`);
  const verdict = rows > totalQuantity ? 'OVER-ISSUED' : rows < totalQuantity ? 'UNDER' : 'EXACT';
  return { couponId, totalQuantity, issuedQuantity, rows, distinctUsers, pending, verdict, by: Math.abs(rows - totalQuantity), expected, problems };
}
