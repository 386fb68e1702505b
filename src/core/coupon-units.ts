import type { Knex } from 'knex';
import { checkCoupon, type Refusal } from './coupon.js';
import { addIssued, findVersionedCoupon } from './coupon-repository.js';
import { MYSQL_ERRNO, mysqlErrno } from './mysql-errors.js';

/**
 * The units of `coupon_units` (skip-locked): one row per place not yet sold, created a batch at a
 * time from the coupon's count (`issued_quantity` grows by the batch, so every strategy's check of
 * the count sees them as gone) and deleted by the request that sells one. A unit carries the
 * coupon's version: once the coupon changes, no unit of the older terms is sold, and the first
 * request to meet one gives every such unit back to the count.
 *
 * Locks come in one order, units before the coupon: a sale locks its unit, then reads the coupon
 * (its insert's foreign key does too); giving units back deletes them, then updates the coupon;
 * a batch inserts its units, then updates the coupon. A change of the coupon locks only the coupon.
 */

type Runner = Knex | Knex.Transaction;

export interface Unit {
  unitNo: number;
  couponVersion: number;
}

/** Where a request looks for a unit: from `from` up, then from `wrapFrom` up to `from`. */
export interface UnitSearch {
  from: number;
  wrapFrom: number;
}

/**
 * The coupon's first unit at or after `from`, else its first from `wrapFrom` on, locked until the
 * transaction ends. With `skipLocked`, units other sales hold are passed over (no waiting);
 * without, it waits for them, and finds whichever they leave.
 */
export async function lockUnit(
  trx: Runner,
  couponId: number,
  { from, wrapFrom }: UnitSearch,
  { skipLocked }: { skipLocked: boolean },
): Promise<Unit | undefined> {
  const first = async (range: [number, number]) => {
    const query = trx('coupon_units')
      .where({ coupon_id: couponId })
      .andWhere('unit_no', '>=', range[0])
      .andWhere('unit_no', '<', range[1])
      .orderBy('unit_no')
      .first('unit_no', 'coupon_version')
      .forUpdate();
    const row = (await (skipLocked ? query.skipLocked() : query)) as { unit_no: number; coupon_version: number } | undefined;
    return row && { unitNo: Number(row.unit_no), couponVersion: row.coupon_version };
  };
  return (await first([from, Number.MAX_SAFE_INTEGER])) ?? (wrapFrom < from ? first([wrapFrom, from]) : undefined);
}

/**
 * Writes the user's row if the coupon is still at `version` (the unit's) and `now` is in its
 * window, reading the coupon's row with a shared lock. True if written; a user who holds one
 * already fails on the unique key.
 */
export async function insertIssueAtVersion(trx: Runner, couponId: number, userId: number, version: number, now: Date): Promise<boolean> {
  const [result] = (await trx.raw(
    `INSERT INTO coupon_issues (coupon_id, user_id, issued_at)
     SELECT id, ?, ? FROM coupons
     WHERE id = ? AND version = ? AND (issue_start_at IS NULL OR issue_start_at <= ?) AND (issue_end_at IS NULL OR issue_end_at > ?)
     LOCK IN SHARE MODE`,
    [userId, now, couponId, version, now, now],
  )) as [{ affectedRows: number }];
  return result.affectedRows === 1;
}

export async function deleteUnit(trx: Runner, couponId: number, unitNo: number): Promise<void> {
  await trx('coupon_units').where({ coupon_id: couponId, unit_no: unitNo }).delete();
}

/** The unit numbers of a batch: [from, to). */
export interface UnitRange {
  from: number;
  to: number;
}

/**
 * A batch; why none (the coupon's rules; COUPON_SOLD_OUT: its count is empty), with the version of
 * the coupon that said so; or `raced`: another batch was made first.
 */
export type Creation = { created: UnitRange } | { refused: Refusal; version?: number } | { raced: true };

/** Rows of one INSERT statement, well below MySQL's limit of placeholders. */
const INSERT_CHUNK = 1_000;

/**
 * Creates the coupon's next batch of up to `batch` units from its count. The coupon's row is
 * locked only by the last statement, which takes the places if nobody made a batch or changed
 * the coupon since it was read: a batch made meanwhile fails this one on its unit numbers or
 * its count, and this one is `raced`.
 */
export async function createUnits(db: Knex, couponId: number, batch: number, now: Date): Promise<Creation> {
  const found = await findVersionedCoupon(db, couponId);
  if (!found) return { refused: 'COUPON_NOT_FOUND' };
  const { coupon, version } = found;
  const refusal = checkCoupon(coupon, coupon.issuedQuantity, now);
  if (refusal) return { refused: refusal, version };
  const count = Math.min(batch, coupon.totalQuantity - coupon.issuedQuantity);
  const from = await unitsCreated(db, couponId);
  const rows = Array.from({ length: count }, (_, i) => ({ coupon_id: couponId, unit_no: from + i, coupon_version: version }));
  try {
    return await db.transaction(async (trx) => {
      await trx.batchInsert('coupon_units', rows, INSERT_CHUNK);
      const taken = await trx('coupons')
        .where({ id: couponId, units_created: from, version })
        .andWhere(trx.raw('issued_quantity + ? <= total_quantity', [count]))
        .update({ units_created: from + count, issued_quantity: trx.raw('issued_quantity + ?', [count]) });
      if (taken === 0) throw new Raced();
      return { created: { from, to: from + count } };
    });
  } catch (error) {
    if (error instanceof Raced || mysqlErrno(error) === MYSQL_ERRNO.DUPLICATE_ENTRY) return { raced: true };
    throw error;
  }
}

/** Rolls a batch back: another was made, or the coupon changed, since it was read. */
class Raced extends Error {}

/** How many units the coupon ever had: the end of its last batch. */
export async function unitsCreated(db: Runner, couponId: number): Promise<number> {
  const row = await db('coupons').where({ id: couponId }).first<{ units_created: number } | undefined>('units_created');
  return Number(row?.units_created ?? 0);
}

/**
 * Deletes the coupon's units of versions older than `version` and gives their places back to its
 * count; returns how many. Deleting waits for the sales holding them, which the coupon's new
 * version makes fail.
 */
export function withdrawStaleUnits(db: Knex, couponId: number, version: number): Promise<number> {
  return db.transaction(
    async (trx) => {
      const withdrawn = await trx('coupon_units').where({ coupon_id: couponId }).andWhere('coupon_version', '<', version).delete();
      if (withdrawn > 0) await addIssued(trx, couponId, -withdrawn);
      return withdrawn;
    },
    { isolationLevel: 'read committed' },
  );
}

/** Whether the coupon has any unit left, sold by a transaction not yet committed or not. */
export async function unitsLeft(db: Runner, couponId: number): Promise<boolean> {
  return (await db('coupon_units').where({ coupon_id: couponId }).first('unit_no')) !== undefined;
}
