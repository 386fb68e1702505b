import { refreshTerms } from '../strategies/lua/terms.js';
import { isValidWindow, type Coupon, type CouponChange, type NewCoupon } from './coupon.js';
import {
  findCoupon,
  findVersionedCoupon,
  insertCoupon,
  updateCoupon,
  type VersionedCoupon,
} from './coupon-repository.js';
import type { Db } from './db.js';
import { ChangeNotPropagatedError, InvalidRequestError } from './errors.js';
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

export async function createCoupon(deps: CouponServiceDeps, input: NewCoupon): Promise<CouponView> {
  const { db, redis, keys } = deps;
  const id = await db.transaction(async (trx) => {
    const id = await insertCoupon(trx, input);
    // A database that was reset hands out old ids again; what a previous coupon with this id
    // left in Redis (terms, requests, unwritten entries) must not be taken for this one's.
    // Cleared before the commit: no request can see the id yet, and if Redis cannot be
    // reached the coupon is not created at all.
    await redis.del(keys.couponTerms(id), keys.couponRequests(id), keys.couponStream(id));
    return id;
  });
  const coupon = await findCoupon(db, id);
  if (!coupon) throw new Error(`coupon ${id} vanished right after it was created`);
  return withPending(deps, coupon);
}

export async function viewCoupon(deps: CouponServiceDeps, id: number): Promise<CouponView | undefined> {
  const coupon = await findCoupon(deps.db, id);
  return coupon && withPending(deps, coupon);
}

/**
 * Changes a coupon: MySQL first, then the copy of its terms the lua path keeps in Redis, so
 * the lua path judges the next request by the new terms. Returns undefined if there is no
 * such coupon. Sending the same change twice is harmless: it bumps the version and refreshes.
 */
export async function changeCoupon(
  deps: CouponServiceDeps,
  id: number,
  change: CouponChange,
): Promise<CouponView | undefined> {
  const changed = await deps.db.transaction((trx) => applyChange(trx, id, change));
  if (!changed) return undefined;
  try {
    await refreshTerms(deps, id, changed);
    return await withPending(deps, changed.coupon);
  } catch (error) {
    // The commit stands whatever happens here; the caller must learn that it did.
    log.warn({ couponId: id, error }, 'coupon changed in MySQL, but its terms in Redis were not refreshed');
    throw new ChangeNotPropagatedError(id, error);
  }
}

/** Inside one transaction: lock the row, check the merged window, update (bumping the version), read back. */
async function applyChange(trx: Db, id: number, change: CouponChange): Promise<VersionedCoupon | undefined> {
  const stored = await findVersionedCoupon(trx, id, { forUpdate: true });
  if (!stored) return undefined;
  // A change of one bound must still fit the bound it leaves as stored.
  const window = {
    issueStartAt: change.issueStartAt === undefined ? stored.coupon.issueStartAt : change.issueStartAt,
    issueEndAt: change.issueEndAt === undefined ? stored.coupon.issueEndAt : change.issueEndAt,
  };
  if (!isValidWindow(window)) {
    throw new InvalidRequestError('body.issueEndAt: must be later than issueStartAt, as this change would leave them');
  }
  await updateCoupon(trx, id, change);
  return findVersionedCoupon(trx, id);
}

async function withPending({ redis, keys }: CouponServiceDeps, coupon: Coupon): Promise<CouponView> {
  // Acknowledged entries are deleted, so the stream holds exactly what is still to be written.
  const pendingQuantity = await redis.xlen(keys.couponStream(coupon.id));
  return { ...coupon, pendingQuantity };
}
