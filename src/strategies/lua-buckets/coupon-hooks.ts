import type { CouponHooks } from '../../core/coupon-service.js';
import { ServiceUnavailableError } from '../../core/errors.js';
import { isRedisUnavailable } from '../../core/redis.js';
import type { StrategyDeps } from '../issue-strategy.js';
import { bucketLayout, type Layout } from './layout.js';
import { split } from './split.js';

/** The coupon's buckets, if lua-buckets ever split it. */
export async function storedLayout({ redis, keys }: Pick<StrategyDeps, 'redis' | 'keys'>, couponId: number): Promise<Layout | undefined> {
  const count = Number(await redis.hget(keys.couponBuckets(couponId), 'count'));
  return count > 0 ? bucketLayout(keys, couponId, count) : undefined;
}

/** What lua-buckets does as coupons are created and changed: it keeps their buckets in Redis. */
export function bucketCouponHooks(deps: Pick<StrategyDeps, 'db' | 'redis' | 'keys' | 'config'>): CouponHooks {
  const { redis, keys } = deps;
  const layoutOf = (couponId: number) => storedLayout(deps, couponId);
  return {
    async created(couponId) {
      // What a previous coupon with this id left must not be taken for this one's (as lua's hook).
      const layout = (await layoutOf(couponId)) ?? bucketLayout(keys, couponId, deps.config.LUA_BUCKETS);
      // One DEL per bucket: on a cluster, a command's keys must share a slot.
      await Promise.all(layout.buckets.map((b) => redis.del(b.terms, b.requests, b.stream, b.transfers, b.credited)));
      await redis.del(keys.couponBuckets(couponId));
    },
    async changed(couponId, changed) {
      const layout = await layoutOf(couponId);
      // A coupon never split is split with its new terms by its first request.
      if (!layout) return;
      await split(deps, layout, 'resplit', changed).catch((error: unknown) => {
        throw isRedisUnavailable(error) ? new ServiceUnavailableError('redis', error) : error;
      });
    },
    async pending(couponId) {
      const layout = await layoutOf(couponId);
      const lengths = await Promise.all((layout?.buckets ?? []).map((bucket) => redis.xlen(bucket.stream)));
      return lengths.reduce((sum, n) => sum + n, 0);
    },
  };
}

/**
 * A coupon finished with (the bench's runs) leaves Redis: the consumer stops reading its buckets'
 * streams, and their state goes. The empty streams stay, so that a consumer that listed them a
 * moment ago still reads them without an error.
 */
export async function dropBuckets(deps: Pick<StrategyDeps, 'redis' | 'keys'>, couponId: number): Promise<void> {
  const { redis, keys } = deps;
  const layout = await storedLayout(deps, couponId);
  if (!layout) return;
  const { buckets } = layout;
  await redis.srem(keys.streamRegistry, ...buckets.map((bucket) => bucket.tag));
  await Promise.all(buckets.map((bucket) => redis.unlink(bucket.terms, bucket.requests, bucket.transfers, bucket.credited)));
  await redis.unlink(keys.couponBuckets(couponId));
}
