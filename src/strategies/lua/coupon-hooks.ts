import type { CouponHooks } from '../../core/coupon-service.js';
import { ServiceUnavailableError } from '../../core/errors.js';
import { isRedisUnavailable } from '../../core/redis.js';
import type { StrategyDeps } from '../issue-strategy.js';
import { refreshTerms } from './terms.js';

/** What the lua path does as coupons are created and changed: it keeps their terms in Redis. */
export function luaCouponHooks(deps: Pick<StrategyDeps, 'db' | 'redis' | 'keys'>): CouponHooks {
  const { redis, keys } = deps;
  return {
    async created(couponId) {
      // Terms, requests or unwritten entries a previous coupon with this id left must not be
      // taken for this one's. If Redis cannot be reached, the coupon is not created at all.
      await redis.del(keys.couponTerms(couponId), keys.couponRequests(couponId), keys.couponStream(couponId));
    },
    async changed(couponId, changed) {
      await refreshTerms(deps, couponId, changed).catch((error: unknown) => {
        throw isRedisUnavailable(error) ? new ServiceUnavailableError('redis', error) : error;
      });
    },
    // Acknowledged entries are deleted, so the stream holds exactly what is still to be written.
    pending: (couponId) => redis.xlen(keys.couponStream(couponId)),
  };
}
