import type { Refusal } from '../../core/coupon.js';
import { createUnits, unitsCreated, type UnitRange } from '../../core/coupon-units.js';
import type { StrategyDeps } from '../issue-strategy.js';

/**
 * What a process knows of a coupon's units: the range of the last batch it saw made, where the
 * unsold units mostly are; and one batch made at a time, which the requests that found no unit
 * wait for together.
 */
export class UnitBatches {
  readonly #latest = new Map<number, UnitRange>();
  readonly #creating = new Map<number, Promise<'created' | Refusal>>();

  constructor(private readonly deps: Pick<StrategyDeps, 'db' | 'config'>) {}

  /**
   * Where a request starts looking for a unit: at random in the latest batch, so that requests
   * at once do not all meet the same first units (and pass over each other's locks), and do not
   * walk the sold units of older batches (deleted, until InnoDB's purge removes them).
   */
  startAt(couponId: number): number {
    const range = this.#latest.get(couponId);
    return range ? range.from + Math.floor(Math.random() * (range.to - range.from)) : 0;
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
    if ('refused' in made) return made.refused;
    const range = 'created' in made ? made.created : latestBatch(await unitsCreated(db, couponId), config.UNIT_BATCH);
    this.#latest.set(couponId, range);
    return 'created';
  }
}

function latestBatch(created: number, batch: number): UnitRange {
  return { from: Math.max(0, created - batch), to: created };
}
