import type { Knex } from 'knex';

/**
 * How many places a coupon has sold: its count (`issued_quantity`) less the places the count gave
 * out in blocks that are not sold yet — the unsold places of open leases (leased-stock) and the
 * units left (skip-locked). For every other strategy the two are the same. One statement, so one
 * consistent reading however busy the coupon. Undefined if there is no such coupon.
 */
export async function soldQuantity(db: Knex | Knex.Transaction, couponId: number): Promise<number | undefined> {
  const [[row]] = (await db.raw(
    `SELECT CAST(c.issued_quantity AS SIGNED)
        - (SELECT COALESCE(SUM(l.granted), 0) FROM coupon_stock_leases l WHERE l.coupon_id = c.id AND l.settled_at IS NULL)
        + (SELECT COUNT(*) FROM coupon_issues i JOIN coupon_stock_leases l ON l.id = i.lease_id WHERE l.coupon_id = c.id AND l.settled_at IS NULL)
        - (SELECT COUNT(*) FROM coupon_units u WHERE u.coupon_id = c.id) AS sold
     FROM coupons c WHERE c.id = ?`,
    [couponId],
  )) as [[{ sold: number | string }?]];
  return row === undefined ? undefined : Number(row.sold);
}
