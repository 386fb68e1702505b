import type { Db } from '../src/core/db.js';

export interface RowCount {
  /** Rows in coupon_issues for the coupon. */
  rows: number;
  /** Distinct users holding them: fewer than `rows` when a user holds two. */
  users: number;
  /** The coupon row's own counter, which must equal `rows`. */
  issuedQuantity: number;
}

/** What MySQL holds for a coupon, counted in MySQL itself. Throws if there is no such coupon. */
export async function countRows(db: Db, couponId: number): Promise<RowCount> {
  const [counts, coupon] = await Promise.all([
    db('coupon_issues')
      .where({ coupon_id: couponId })
      .first<{ rows: number | string; users: number | string }>(db.raw('COUNT(*) AS `rows`'), db.raw('COUNT(DISTINCT user_id) AS users')),
    db('coupons').where({ id: couponId }).first<{ issued_quantity: number } | undefined>('issued_quantity'),
  ]);
  if (!coupon) throw new Error(`no coupon ${couponId} in this database`);
  return { rows: Number(counts.rows), users: Number(counts.users), issuedQuantity: Number(coupon.issued_quantity) };
}
