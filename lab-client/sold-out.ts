import type { Db } from '../src/core/db.js';

/**
 * Of the COUPON_SOLD_OUT answers received at `soldOutAt` (ms since the epoch), how many were given
 * while places remained: if the coupon ended with fewer rows than `quantity`, every one of them;
 * otherwise those received before the last place was taken, which is no earlier than the
 * issued_at of the quantity-th row (in order of issued_at). A row's issued_at is stamped before its
 * place is taken (before the insert commits, or before Redis admits it), and a sold-out answer is
 * received after it was decided, so each one counted was certainly wrong: a lower bound. Those
 * decided before the last place was taken but received after its issued_at, or within the same
 * millisecond (issued_at is DATETIME(3)), are missed. The answers' and the rows' clocks must be one
 * machine's (the bench runs beside its servers).
 */
export async function soldOutWhileAvailable(db: Db, couponId: number, quantity: number, soldOutAt: readonly number[]): Promise<number> {
  if (soldOutAt.length === 0) return 0;
  const last = await db('coupon_issues')
    .where({ coupon_id: couponId })
    .orderBy([{ column: 'issued_at' }, { column: 'id' }])
    .offset(quantity - 1)
    .first<{ issued_at: Date } | undefined>('issued_at');
  if (!last) return soldOutAt.length;
  const lastPlaceAt = last.issued_at.getTime();
  return soldOutAt.filter((at) => at < lastPlaceAt).length;
}
