import type { Coupon, NewCoupon } from './coupon.js';
import { findCoupon, insertCoupon } from './coupon-repository.js';
import type { Db } from './db.js';
import { log } from './log.js';
import type { Redis, RedisKeys } from './redis.js';

export interface CouponView extends Coupon {
  /** Requests the lua path accepted that the consumer has not yet written. */
  pendingQuantity: number;
}

export interface CouponServiceDeps {
  db: Db;
  redis: Redis;
  keys: RedisKeys;
}

export async function createCoupon({ db, redis, keys }: CouponServiceDeps, input: NewCoupon): Promise<Coupon> {
  const id = await insertCoupon(db, input);
  // A database that was reset hands out old ids again; terms or requests a previous coupon
  // with this id left in Redis must not be taken for this one's.
  await redis.del(keys.couponTerms(id), keys.couponRequests(id)).catch((error: unknown) => {
    log.warn('could not clear Redis state for a new coupon id', { couponId: id, error });
  });
  const coupon = await findCoupon(db, id);
  if (!coupon) throw new Error(`coupon ${id} vanished right after it was created`);
  return coupon;
}

export async function viewCoupon({ db, redis, keys }: CouponServiceDeps, id: number): Promise<CouponView | undefined> {
  const coupon = await findCoupon(db, id);
  if (!coupon) return undefined;
  // Acknowledged entries are deleted, so the stream holds exactly what is still to be written.
  const pendingQuantity = await redis.xlen(keys.couponStream(id));
  return { ...coupon, pendingQuantity };
}
