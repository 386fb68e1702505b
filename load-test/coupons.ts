import type { Db } from '../src/core/db.js';
import { countRows } from '../lab-client/rows.js';
import type { Verdict } from '../bench/report.js';
import type { CouponCheck } from './report.js';

/** What was still unwritten when the wait for the consumer gave up, and why it gave up. */
export interface Undrained {
  pending: number;
  why: string;
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
  undrained?: Undrained,
): Promise<CouponCheck> {
  const coupon = await db('coupons').where({ id: couponId }).first('title', 'total_quantity');
  if (!coupon || coupon.title !== title) {
    throw new Error(`coupon ${couponId} "${title}" is not in this MySQL database: is --mysql-url (MYSQL_URL) the server's?`);
  }
  const { rows, users: distinctUsers, issuedQuantity } = await countRows(db, couponId);
  const totalQuantity = Number(coupon.total_quantity);
  const problems: string[] = [];
  if (distinctUsers < rows) problems.push(`${rows - distinctUsers} rows held by a user who already holds one`);
  if (issuedQuantity !== rows) problems.push(`issued_quantity ${issuedQuantity} but ${rows} rows`);
  if (undrained) problems.push(undrained.why);
  const pending = undrained?.pending ?? 0;
  const verdict = rows > totalQuantity ? 'OVER-ISSUED' : rows < totalQuantity ? 'UNDER' : 'EXACT';
  return { couponId, totalQuantity, issuedQuantity, rows, distinctUsers, pending, verdict, by: Math.abs(rows - totalQuantity), expected, problems };
}
