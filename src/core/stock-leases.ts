import type { Knex } from 'knex';
import { checkCoupon, type Refusal } from './coupon.js';
import { addIssued, findVersionedCoupon } from './coupon-repository.js';
import { isMysqlLostRace } from './mysql-errors.js';

/**
 * Blocks of places leased to server processes (leased-stock), in `coupon_stock_leases`.
 *
 * A block's places are taken from the coupon's count (`issued_quantity`) when it is granted, so
 * every strategy's check of the count sees them as gone. Its process sells them one row at a
 * time, each row naming the block; the block ends (by its process, by another that finds the
 * count empty, by the reclaimer once it expired, or because the coupon changed) and what it did
 * not sell goes back to the count.
 *
 * The locks are always taken in one order, a block's row before the coupon's: a sale reads its
 * block, then the coupon (the coupon row's lookup depends on the block's), then its insert's
 * foreign key checks the coupon again; ending a block locks the block, then gives back to the
 * coupon; a grant locks the coupon and only inserts a new block. Nothing holds the coupon's row
 * while it waits for a block's, so no two of them wait for each other.
 */

export interface Lease {
  id: number;
  couponId: number;
  granted: number;
}

export interface GrantOptions {
  /** Who asks: host:pid:random, kept on the row. */
  owner: string;
  /** The most places to take. */
  block: number;
  /**
   * Take at most half of what is left (one at least): right after blocks were taken back,
   * the other processes whose blocks they were will ask too, and find the other half.
   */
  half: boolean;
  ttlMs: number;
  now: Date;
}

/**
 * A block, or why none: the coupon's rules. COUPON_SOLD_OUT means nothing is left in the coupon's
 * count; `blocksOpen` says how many blocks still hold places of it (as seen at the same moment,
 * under the coupon's row lock): the coupon is sold out only when there are none.
 */
export type Grant = { lease: Lease } | { refused: Exclude<Refusal, 'COUPON_SOLD_OUT'> } | { refused: 'COUPON_SOLD_OUT'; blocksOpen: number };

/**
 * Takes a block from the coupon's count under the coupon's row lock, for `ttlMs` by MySQL's clock.
 * Nothing else changes the count, or opens or ends a block, while the lock is held: the count and
 * the blocks open are read at one moment.
 */
export function grantLease(db: Knex, couponId: number, options: GrantOptions): Promise<Grant> {
  return db.transaction(
    async (trx): Promise<Grant> => {
      const found = await findVersionedCoupon(trx, couponId, { forUpdate: true });
      const refusal = checkCoupon(found?.coupon, found?.coupon.issuedQuantity ?? 0, options.now);
      if (refusal === 'COUPON_SOLD_OUT') return { refused: refusal, blocksOpen: await openLeases(trx, couponId) };
      if (refusal || !found) return { refused: refusal ?? 'COUPON_NOT_FOUND' };
      const left = found.coupon.totalQuantity - found.coupon.issuedQuantity;
      const granted = Math.min(options.block, options.half ? Math.ceil(left / 2) : left);
      await addIssued(trx, couponId, granted);
      const [id] = await trx('coupon_stock_leases').insert({
        coupon_id: couponId,
        owner: options.owner,
        granted,
        coupon_version: found.version,
        expires_at: trx.raw('NOW(3) + INTERVAL ? MICROSECOND', [options.ttlMs * 1000]),
      });
      return { lease: { id: Number(id), couponId, granted } };
    },
    { isolationLevel: 'read committed' },
  );
}

async function openLeases(trx: Knex.Transaction, couponId: number): Promise<number> {
  const row = (await trx('coupon_stock_leases').where({ coupon_id: couponId }).whereNull('settled_at').count({ n: '*' }).first()) as { n: number | string };
  return Number(row.n);
}

/**
 * The fence: writes the user's row under the block in one statement, only if, when MySQL runs
 * it, the block has not ended, has not expired by MySQL's clock, was granted under the coupon's
 * current version, and `now` is in the coupon's window. The block's row is read with a shared
 * lock, held until the row is written: whoever ends the block waits for the write, then counts
 * it. The clock is SYSDATE, the time the check runs, not NOW, the time the statement began: a
 * statement that waited for the block's lock past its lease must be refused. True if written;
 * false if refused (the block is over, or the window closed). A user who holds one already fails
 * on the unique key, as everywhere.
 */
export async function sellUnderLease(db: Knex, leaseId: number, userId: number, now: Date): Promise<boolean> {
  const [result] = (await db.raw(
    `INSERT INTO coupon_issues (coupon_id, user_id, issued_at, lease_id)
     SELECT l.coupon_id, ?, ?, l.id FROM coupon_stock_leases l JOIN coupons c ON c.id = l.coupon_id
     WHERE l.id = ? AND l.settled_at IS NULL AND l.expires_at > SYSDATE(3) AND c.version = l.coupon_version
       AND (c.issue_start_at IS NULL OR c.issue_start_at <= ?) AND (c.issue_end_at IS NULL OR c.issue_end_at > ?)
     LOCK IN SHARE MODE`,
    [userId, now, leaseId, now, now],
  )) as [{ affectedRows: number }];
  return result.affectedRows === 1;
}

/** Whether a block may still sell: not ended, not expired by MySQL's clock, of the coupon's current version. */
export async function leaseLive(db: Knex, leaseId: number): Promise<boolean> {
  const row: unknown = await db('coupon_stock_leases as l')
    .join('coupons as c', 'c.id', 'l.coupon_id')
    .where('l.id', leaseId)
    .whereNull('l.settled_at')
    .andWhereRaw('l.expires_at > NOW(3) AND c.version = l.coupon_version')
    .first('l.id');
  return row !== undefined;
}

/** Which blocks to end: a coupon's, a process's, some by id, or every one whose lease ran out. */
export type LeaseSelection = { couponId: number } | { owner: string } | { ids: readonly number[] } | { expired: true };

/**
 * Ends the open blocks selected and gives back to their coupons what they did not sell; returns
 * how many places came back. Each block's row is locked first, which waits for the sales in
 * flight under it; then its rows are counted, and from then on the fence refuses it. With
 * `skipLocked`, a block something else holds is left for later (the reclaimer's way, so that two
 * reclaimers never queue on each other). In a READ COMMITTED transaction of its own, so that the
 * count sees every sale committed before the lock. The blocks are found first without a lock,
 * then locked by their primary key in order: found and locked through another index, two endings
 * would take that index's entries and the rows in opposite orders, and deadlock.
 */
export async function settleLeases(db: Knex, which: LeaseSelection, { skipLocked = false } = {}): Promise<number> {
  const found = (await selected(db('coupon_stock_leases'), which).whereNull('settled_at').pluck('id')) as number[];
  if (found.length === 0) return 0;
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction((trx) => settle(trx, found, skipLocked), { isolationLevel: 'read committed' });
    } catch (error) {
      if (!isMysqlLostRace(error) || attempt === SETTLE_ATTEMPTS) throw error;
    }
  }
}

/** Deadlocks an ending may meet (with a grant's or a sale's locks on the coupon) before it gives up. */
const SETTLE_ATTEMPTS = 3;

async function settle(trx: Knex.Transaction, found: readonly number[], skipLocked: boolean): Promise<number> {
  const locking = trx('coupon_stock_leases').whereIn('id', found).whereNull('settled_at').orderBy('id').forUpdate();
  const ids = (await (skipLocked ? locking.skipLocked() : locking).pluck('id')) as number[];
  if (ids.length === 0) return 0;
  await trx('coupon_stock_leases')
    .whereIn('id', ids)
    .update({ settled_at: trx.raw('NOW(3)'), sold: trx.raw('(SELECT COUNT(*) FROM coupon_issues i WHERE i.lease_id = coupon_stock_leases.id)') });
  const unsold = await trx('coupon_stock_leases')
    .whereIn('id', ids)
    .groupBy('coupon_id')
    .orderBy('coupon_id')
    .select<{ coupon_id: number; unsold: number | string }[]>('coupon_id', trx.raw('SUM(CAST(granted AS SIGNED) - CAST(sold AS SIGNED)) AS unsold'));
  // Negative if a block sold more than it was granted (a process that miscounted): the count then
  // grows by the excess, so that it stays what was taken, and the excess shows as over-issued.
  for (const { coupon_id, unsold: places } of unsold) if (Number(places) !== 0) await addIssued(trx, Number(coupon_id), -Number(places));
  return unsold.reduce((sum, row) => sum + Number(row.unsold), 0);
}

function selected(leases: Knex.QueryBuilder, which: LeaseSelection): Knex.QueryBuilder {
  if ('couponId' in which) return leases.where({ coupon_id: which.couponId });
  if ('owner' in which) return leases.where({ owner: which.owner });
  if ('ids' in which) return leases.whereIn('id', which.ids);
  return leases.whereRaw('expires_at <= NOW(3)');
}

/** A process's open blocks of a coupon (by the pid in their `owner`), and the places of them not sold yet. */
export async function openBlocksOf(db: Knex, couponId: number, pid: number): Promise<{ ids: number[]; unsold: number }> {
  const blocks = await db('coupon_stock_leases as l')
    .where('l.coupon_id', couponId)
    .whereNull('l.settled_at')
    .andWhere('l.owner', 'like', `%:${pid}:%`)
    .select<{ id: number; unsold: number | string }[]>(
      'l.id',
      db.raw('CAST(l.granted AS SIGNED) - (SELECT COUNT(*) FROM coupon_issues i WHERE i.lease_id = l.id) AS unsold'),
    );
  return { ids: blocks.map((block) => Number(block.id)), unsold: blocks.reduce((sum, block) => sum + Number(block.unsold), 0) };
}
