import type { Db } from '../src/core/db.js';
import { countRows } from '../lab-client/rows.js';
import type { Tally } from '../lab-client/tally.js';
import { verifyCoupon, type Verdict } from '../lab-client/verdict.js';
import type { CouponCheck } from './report.js';

/** What was still unwritten when the wait for the consumer gave up, and why it gave up. */
export interface Undrained {
  pending: number;
  why: string;
}

/**
 * What MySQL holds for the coupon, judged as the bench judges its own against what the crowd was
 * told. The title proves the row is the coupon just created on the server: a check against
 * another database fails loudly.
 */
export async function checkCoupon(
  db: Db,
  coupon: { id: number; title: string },
  told: Pick<Tally, 'answers' | 'successfulUsers'>,
  expected: Verdict,
  undrained?: Undrained,
): Promise<CouponCheck> {
  const row = await db('coupons').where({ id: coupon.id }).first<{ title: string; total_quantity: number } | undefined>('title', 'total_quantity');
  if (!row || row.title !== coupon.title) {
    throw new Error(`coupon ${coupon.id} "${coupon.title}" is not in this MySQL database: is --mysql-url (MYSQL_URL) the server's?`);
  }
  const totalQuantity = Number(row.total_quantity);
  const { users: distinctUsers, issuedQuantity } = await countRows(db, coupon.id);
  const verification = await verifyCoupon(db, coupon.id, totalQuantity, told.answers, told.successfulUsers);
  const problems: string[] = [];
  if (issuedQuantity !== verification.rows) problems.push(`issued_quantity ${issuedQuantity} but ${verification.rows} rows`);
  if (undrained) problems.push(undrained.why);
  return {
    couponId: coupon.id,
    totalQuantity,
    issuedQuantity,
    distinctUsers,
    soldOut: verification.rows >= totalQuantity,
    pending: undrained?.pending ?? 0,
    ...verification,
    expected,
    problems,
  };
}
