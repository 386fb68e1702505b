import type { CouponHooks } from '../core/coupon-service.js';

/** Several strategies' hooks as one: each told of every creation and change, their pending requests added up. */
export function combinedHooks(...all: CouponHooks[]): CouponHooks {
  return {
    async created(couponId) {
      for (const hooks of all) await hooks.created(couponId);
    },
    async changed(couponId, changed) {
      for (const hooks of all) await hooks.changed(couponId, changed);
    },
    async pending(couponId) {
      const counts = await Promise.all(all.map((hooks) => hooks.pending(couponId)));
      return counts.reduce((sum, n) => sum + n, 0);
    },
  };
}
