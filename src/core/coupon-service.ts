import { isValidWindow, type Coupon, type CouponChange, type NewCoupon } from './coupon.js';
import { findCoupon, findVersionedCoupon, insertCoupon, updateCoupon, type VersionedCoupon } from './coupon-repository.js';
import type { Db } from './db.js';
import { ChangeNotPropagatedError, InvalidRequestError } from './errors.js';
import { soldQuantity } from './held-stock.js';
import type { Log } from './log.js';

/**
 * A coupon as clients see it: `issuedQuantity` counts the places sold, not those its count gave
 * out in blocks that are not sold yet (see held-stock.ts).
 */
export interface CouponView extends Coupon {
  /** Requests accepted and not yet written (the lua path's, by its hooks). */
  pendingQuantity: number;
}

/**
 * What keeps a copy of a coupon elsewhere (the lua path keeps its terms in Redis) does at each
 * step of the coupon's life. The composition root (src/lab.ts) hands them in: the domain knows
 * no strategy.
 */
export interface CouponHooks {
  /**
   * Inside the new coupon's transaction, before its commit: forget whatever a previous coupon with
   * this id left behind (a database that was reset hands out old ids again). Throwing aborts the
   * creation: the coupon is not created.
   */
  created(couponId: number): Promise<void>;
  /** After a change has committed: bring the copy up to date. Throwing answers that it was not. */
  changed(couponId: number, changed: VersionedCoupon): Promise<void>;
  /** Requests accepted and not yet written to MySQL. */
  pending(couponId: number): Promise<number>;
}

export interface CouponServiceDeps {
  db: Db;
  log: Log;
  couponHooks: CouponHooks;
}

export async function createCoupon(deps: CouponServiceDeps, input: NewCoupon): Promise<CouponView> {
  const { db, couponHooks } = deps;
  const id = await db.transaction(async (trx) => {
    const id = await insertCoupon(trx, input);
    await couponHooks.created(id); // no request can see the id before the commit
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
 * Changes a coupon: MySQL first, then its copies (the hooks), so that the lua path judges the
 * next request by the new terms. Returns undefined if there is no such coupon. Sending the same
 * change twice is harmless: it bumps the version and refreshes.
 */
export async function changeCoupon(deps: CouponServiceDeps, id: number, change: CouponChange): Promise<CouponView | undefined> {
  const changed = await deps.db.transaction((trx) => applyChange(trx, id, change));
  if (!changed) return undefined;
  try {
    await deps.couponHooks.changed(id, changed);
    return await withPending(deps, changed.coupon);
  } catch (error) {
    // The commit stands whatever happens here; the caller must learn that it did.
    deps.log.warn({ couponId: id, error }, 'coupon changed in MySQL, but its copies were not brought up to date');
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

async function withPending({ db, couponHooks }: CouponServiceDeps, coupon: Coupon): Promise<CouponView> {
  const [sold, pendingQuantity] = await Promise.all([soldQuantity(db, coupon.id), couponHooks.pending(coupon.id)]);
  return { ...coupon, issuedQuantity: sold ?? coupon.issuedQuantity, pendingQuantity };
}
