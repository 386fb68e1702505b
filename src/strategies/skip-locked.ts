import { findVersionedCoupon } from '../core/coupon-repository.js';
import { deleteUnit, insertIssueAtVersion, lockUnit, unitsLeft, withdrawStaleUnits, type UnitSearch } from '../core/coupon-units.js';
import { LockTimeoutError } from '../core/errors.js';
import { ISSUED, refused, type IssueResult, type StrategyDeps, type StrategyFactory } from './issue-strategy.js';
import { inTransaction } from './issue-transaction.js';
import { UnitBatches } from './skip-locked/unit-batches.js';

/** Claims a request may make (a batch made, or stale units given back, between two) before LOCK_TIMEOUT. */
const ATTEMPTS = 5;

/** What one claim found: a sale or a refusal; no unit to take; or a unit of terms the coupon has since changed. */
type Claim = IssueResult | 'none' | 'stale';

/**
 * One row per unsold place (coupon_units), each request taking one with `SELECT … FOR UPDATE SKIP
 * LOCKED`: no row that every request locks, only its own unit, passing over those other requests
 * hold. A primary-key scan from a random point of the latest batch, in MySQL's default REPEATABLE
 * READ: READ COMMITTED would spare the gap locks, but costs a statement more a request (SET
 * TRANSACTION), and none of those gap locks is in a sale's way: units are only ever added after the
 * coupon's last, and the scan that locks that gap, having found nothing, ends its transaction at
 * once (docs/strategies.md has the measurement). Units are made a batch at a time
 * (UNIT_BATCH) when a request finds none, so a coupon of ten million places is never ten million
 * rows at once. The coupon's row is written only by a batch; `issuedQuantity` is its count less
 * the units left (see held-stock.ts).
 *
 * Sold out only once the coupon's count is empty and no unit is left, waiting for the units other
 * requests hold (one of them may roll back): never while a unit remains. Found so, it stays so
 * until the coupon changes: later requests read the coupon's version and nothing else.
 */
export const createSkipLocked: StrategyFactory = (deps) => {
  const batches = new UnitBatches(deps);
  const claim = (couponId: number, userId: number, search: UnitSearch, skipLocked: boolean) =>
    inTransaction(deps, 'skip-locked', (trx) => sellUnit(trx, couponId, userId, search, skipLocked));

  /** No unit found: make a batch; or, with the count empty, wait for the units others hold (from the first) before saying sold out. */
  async function whenNone(couponId: number, userId: number): Promise<Claim | 'created'> {
    const made = await batches.create(couponId);
    if (made !== 'COUPON_SOLD_OUT') return made === 'created' ? made : refused(made);
    const last = (await unitsLeft(deps.db, couponId)) ? await claim(couponId, userId, { from: 0, wrapFrom: 0 }, false) : 'none';
    if (last !== 'none') return last;
    batches.soldOut(couponId);
    return refused('COUPON_SOLD_OUT');
  }

  return {
    name: 'skip-locked',
    protection: 'global',
    uses: ['mysql'],
    lockWaits: 'none',
    asynchronous: false,
    card: {
      steps: [
        'one row per unsold place, made a batch at a time when a request finds none',
        'SELECT … FOR UPDATE SKIP LOCKED takes a unit no other request holds',
        'insert the row and delete the unit, in one transaction',
        'sold out only once no unit is left and none is held by a sale that may roll back',
      ],
      needs: 'MySQL 8.0 or MariaDB 10.6 (SKIP LOCKED); a table of units',
      pitfall:
        'The naive query over an index of free units slows as units are claimed; a short flash crowd pays more for its sold-out answers than record-lock does.',
    },
    async issue({ couponId, userId }) {
      const soldOut = await batches.refusalIfSoldOut(couponId);
      if (soldOut) return refused(soldOut);
      const startedAt = Date.now();
      for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
        let outcome: Claim | 'created' = await claim(couponId, userId, batches.search(couponId), true);
        if (outcome === 'none') outcome = await whenNone(couponId, userId);
        if (outcome === 'stale') {
          const found = await findVersionedCoupon(deps.db, couponId);
          if (found) await withdrawStaleUnits(deps.db, couponId, found.version);
        }
        if (typeof outcome === 'object') return outcome;
        deps.observer.retried('skip-locked');
      }
      throw new LockTimeoutError('skip-locked', Date.now() - startedAt);
    },
  };
};

/**
 * Takes a unit and sells it: the row is inserted if the coupon is still at the unit's version and
 * in its window, then the unit is deleted, in one transaction. A duplicate user fails the insert
 * and rolls it all back (inTransaction answers ALREADY_ISSUED).
 */
async function sellUnit(trx: StrategyDeps['db'], couponId: number, userId: number, search: UnitSearch, skipLocked: boolean): Promise<Claim> {
  const unit = await lockUnit(trx, couponId, search, { skipLocked });
  if (!unit) return 'none';
  if (await insertIssueAtVersion(trx, couponId, userId, unit.couponVersion, new Date())) {
    await deleteUnit(trx, couponId, unit.unitNo);
    return ISSUED;
  }
  const found = await findVersionedCoupon(trx, couponId);
  return found && found.version !== unit.couponVersion ? 'stale' : refused('COUPON_NOT_IN_ISSUE_WINDOW');
}
