import type { Db } from '../src/core/db.js';
import { soldQuantity } from '../src/core/held-stock.js';

export interface RowCount {
  /** Rows in coupon_issues for the coupon. */
  rows: number;
  /** Distinct users holding them: fewer than `rows` when a user holds two. */
  users: number;
  /**
   * The coupon's own count of what it sold, which must equal `rows`: its counter, less the places
   * it gave out in blocks not sold yet (leases, units), as `GET /v1/coupons/:id` reports it.
   */
  issuedQuantity: number;
}

/** What MySQL holds for a coupon, counted in MySQL itself. Throws if there is no such coupon. */
export async function countRows(db: Db, couponId: number): Promise<RowCount> {
  const [counts, sold] = await Promise.all([
    db('coupon_issues')
      .where({ coupon_id: couponId })
      .first<{ rows: number | string; users: number | string }>(db.raw('COUNT(*) AS `rows`'), db.raw('COUNT(DISTINCT user_id) AS users')),
    soldQuantity(db, couponId),
  ]);
  if (sold === undefined) throw new Error(`no coupon ${couponId} in this database`);
  return { rows: Number(counts.rows), users: Number(counts.users), issuedQuantity: sold };
}
