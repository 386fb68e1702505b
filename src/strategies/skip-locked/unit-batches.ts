import { checkCoupon, type Refusal } from '../../core/coupon.js';
import { findVersionedCoupon } from '../../core/coupon-repository.js';
import { createUnits, unitsCreated, type UnitRange, type UnitSearch } from '../../core/coupon-units.js';
import type { StrategyDeps } from '../issue-strategy.js';

/**
 * What a process knows of a coupon's units: the range of the last batch it saw made, where the
 * unsold units mostly are; one batch made at a time, which the requests that found no unit wait
 * for together; and whether the coupon was sold out, and at which version.
 */
export class UnitBatches {
  readonly #latest = new Map<number, UnitRange>();
  readonly #creating = new Map<number, Promise<'created' | Refusal>>();
  /** The coupon's version when a batch found its count empty. */
  readonly #emptyAt = new Map<number, number>();
  /** The coupon's version when it was found sold out: its count empty and no unit left. */
  readonly #soldOutAt = new Map<number, number>();

  constructor(private readonly deps: Pick<StrategyDeps, 'db' | 'config'>) {}

  /**
   * Where a request looks for a unit: from a random point of the latest batch, so that requests
   * at once do not all meet the same first units (and pass over each other's locks), then from
   * that batch's start; never through the sold units of older batches (deleted, but walked by
   * every scan until InnoDB's purge removes them). A unit left in an older batch by a sale that
   * rolled back is found once the count is empty (see skip-locked.ts).
   */
  search(couponId: number): UnitSearch {
    const range = this.#latest.get(couponId);
    if (!range) return { from: 0, wrapFrom: 0 };
    return { from: range.from + Math.floor(Math.random() * (range.to - range.from)), wrapFrom: range.from };
  }

  /** Makes the coupon's next batch (or learns that another process just did); COUPON_SOLD_OUT: its count is empty. */
  create(couponId: number): Promise<'created' | Refusal> {
    let creating = this.#creating.get(couponId);
    if (!creating) {
      creating = this.#create(couponId).finally(() => this.#creating.delete(couponId));
      this.#creating.set(couponId, creating);
    }
    return creating;
  }

  async #create(couponId: number): Promise<'created' | Refusal> {
    const { db, config } = this.deps;
    const made = await createUnits(db, couponId, config.UNIT_BATCH, new Date());
    if ('refused' in made) {
      if (made.refused === 'COUPON_SOLD_OUT' && made.version !== undefined) this.#emptyAt.set(couponId, made.version);
      return made.refused;
    }
    const range = 'created' in made ? made.created : latestBatch(await unitsCreated(db, couponId), config.UNIT_BATCH);
    this.#latest.set(couponId, range);
    return 'created';
  }

  /**
   * The coupon's count was found empty and no unit left: it stays sold out until the coupon
   * changes (only a change gives places back to its count: see withdrawStaleUnits).
   */
  soldOut(couponId: number): void {
    const version = this.#emptyAt.get(couponId);
    if (version !== undefined) this.#soldOutAt.set(couponId, version);
  }

  /** If the coupon was found sold out at the version it still has, why it is refused (its window comes first); one read. */
  async refusalIfSoldOut(couponId: number): Promise<Refusal | undefined> {
    const version = this.#soldOutAt.get(couponId);
    if (version === undefined) return undefined;
    const found = await findVersionedCoupon(this.deps.db, couponId);
    if (found?.version === version) return checkCoupon(found.coupon, found.coupon.totalQuantity, new Date());
    this.#soldOutAt.delete(couponId);
    return undefined;
  }
}

function latestBatch(created: number, batch: number): UnitRange {
  return { from: Math.max(0, created - batch), to: created };
}
