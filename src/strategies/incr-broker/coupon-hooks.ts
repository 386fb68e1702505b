import type { CouponHooks } from '../../core/coupon-service.js';
import { findCoupon } from '../../core/coupon-repository.js';
import type { StrategyDeps } from '../issue-strategy.js';

/**
 * What the broker strategies keep of a coupon in Redis: its count and its applied users. Their
 * terms are the lua path's (see admission.ts), kept up to date by its hooks.
 */
export function brokerCouponHooks({ db, redis, keys }: Pick<StrategyDeps, 'db' | 'redis' | 'keys'>): CouponHooks {
  return {
    async created(couponId) {
      // A previous coupon with this id (a database that was reset) must not lend it its places.
      await redis.del(keys.couponCount(couponId), keys.couponApplied(couponId));
    },
    changed: async () => undefined,
    /**
     * Places counted and not yet written: on their way through RabbitMQ, or stranded by a failure
     * between the two writes, which no message will ever write (the count cannot tell them apart).
     */
    async pending(couponId) {
      const counted = Number(await redis.get(keys.couponCount(couponId)));
      if (!counted) return 0;
      const coupon = await findCoupon(db, couponId);
      return Math.max(0, counted - (coupon?.issuedQuantity ?? 0));
    },
  };
}
