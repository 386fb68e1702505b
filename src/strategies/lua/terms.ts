import type { Coupon } from '../../core/coupon.js';
import { findCoupon, issuedUserIds } from '../../core/coupon-repository.js';
import { CONSUMER_GROUP } from '../../core/redis.js';
import type { StrategyDeps } from '../issue-strategy.js';

const SADD_CHUNK = 5_000;

/**
 * Copies what the lua path needs about a coupon from MySQL into Redis, so that later requests
 * never read MySQL. Safe to run twice or from two processes at once: every step is idempotent.
 * Returns false if the coupon does not exist.
 */
export async function loadTerms(
  { db, redis, keys }: Pick<StrategyDeps, 'db' | 'redis' | 'keys'>,
  couponId: number,
): Promise<boolean> {
  const coupon = await findCoupon(db, couponId);
  if (!coupon) return false;
  const stream = keys.couponStream(couponId);
  // The group must exist before the first XADD, or the consumer would not see that entry.
  await redis.xgroup('CREATE', stream, CONSUMER_GROUP, '0', 'MKSTREAM').catch(ignoreBusyGroup);
  await redis.sadd(keys.streamRegistry, couponId);
  // Users who already hold a row count against the quantity, so Redis can be rebuilt from MySQL.
  const holders = await issuedUserIds(db, couponId);
  for (let i = 0; i < holders.length; i += SADD_CHUNK) {
    await redis.sadd(keys.couponRequests(couponId), ...holders.slice(i, i + SADD_CHUNK));
  }
  // Written last: the terms are what lets the script admit requests.
  await redis.hset(keys.couponTerms(couponId), termsFields(coupon));
  return true;
}

function termsFields(coupon: Coupon): Record<string, number> {
  const fields: Record<string, number> = { total: coupon.totalQuantity };
  if (coupon.issueStartAt) fields.start = coupon.issueStartAt.getTime();
  if (coupon.issueEndAt) fields.end = coupon.issueEndAt.getTime();
  return fields;
}

function ignoreBusyGroup(error: unknown): void {
  if (!(error instanceof Error && error.message.startsWith('BUSYGROUP'))) throw error;
}
