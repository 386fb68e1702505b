import type { Knex } from 'knex';
import type { Coupon, CouponChange, NewCoupon } from './coupon.js';
import { MYSQL_ERRNO, mysqlErrno } from './mysql-errors.js';

/** Plain queries over `coupons` and `coupon_issues`; callers pass the pool or a transaction. */
type Runner = Knex | Knex.Transaction;

interface CouponRow {
  id: number;
  title: string;
  total_quantity: number;
  issued_quantity: number;
  revoked_quantity: number;
  discount_amount: number;
  min_available_amount: number;
  issue_start_at: Date | null;
  issue_end_at: Date | null;
  created_at: Date;
  updated_at: Date;
  version: number;
  lock_fence: number;
  issue_version: number;
}

/**
 * A coupon and the version of the row it was read from. Every change bumps the version; it
 * stays out of `Coupon` because only copies of a coupon (the lua path's terms) need it.
 */
export interface VersionedCoupon {
  coupon: Coupon;
  version: number;
}

function toCoupon(row: CouponRow): Coupon {
  return {
    id: Number(row.id),
    title: row.title,
    totalQuantity: row.total_quantity,
    issuedQuantity: row.issued_quantity,
    revokedQuantity: row.revoked_quantity,
    discountAmount: row.discount_amount,
    minAvailableAmount: row.min_available_amount,
    issueStartAt: row.issue_start_at,
    issueEndAt: row.issue_end_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export async function insertCoupon(db: Runner, coupon: NewCoupon): Promise<number> {
  const [id] = await db('coupons').insert({
    title: coupon.title,
    total_quantity: coupon.totalQuantity,
    discount_amount: coupon.discountAmount,
    min_available_amount: coupon.minAvailableAmount,
    issue_start_at: coupon.issueStartAt,
    issue_end_at: coupon.issueEndAt,
  });
  return Number(id);
}

export async function findCoupon(db: Runner, id: number, options: { forUpdate?: boolean } = {}): Promise<Coupon | undefined> {
  return (await findVersionedCoupon(db, id, options))?.coupon;
}

export async function findVersionedCoupon(db: Runner, id: number, options: { forUpdate?: boolean } = {}): Promise<VersionedCoupon | undefined> {
  const query = db<CouponRow>('coupons').where({ id }).first();
  const row = await (options.forUpdate ? query.forUpdate() : query);
  return row ? { coupon: toCoupon(row), version: row.version } : undefined;
}

const CHANGE_COLUMNS = {
  title: 'title',
  totalQuantity: 'total_quantity',
  discountAmount: 'discount_amount',
  minAvailableAmount: 'min_available_amount',
  issueStartAt: 'issue_start_at',
  issueEndAt: 'issue_end_at',
} as const satisfies Record<keyof CouponChange, keyof CouponRow>;

/** Applies a change and bumps the version in the same statement, so no change goes unversioned. */
export async function updateCoupon(db: Runner, id: number, change: CouponChange): Promise<void> {
  const columns: Record<string, unknown> = {};
  for (const [field, column] of Object.entries(CHANGE_COLUMNS)) {
    const value = change[field as keyof CouponChange];
    if (value !== undefined) columns[column] = value;
  }
  await db('coupons')
    .where({ id })
    .update({ ...columns, version: db.raw('version + 1'), updated_at: db.raw('CURRENT_TIMESTAMP(3)') });
}

/**
 * Records a fencing token on the coupon row unless the row holds a newer one, taking the row's
 * lock until the transaction ends. A sold-out coupon records nothing: nothing will be written
 * under the token, and a refusal then costs no write. Returns the newest token the row holds if
 * ours is older, undefined otherwise (taken, sold out, or no such coupon).
 */
export async function passFence(db: Runner, couponId: number, token: number): Promise<number | undefined> {
  const taken = await db('coupons')
    .where({ id: couponId })
    .andWhere('lock_fence', '<', token)
    .andWhere('issued_quantity', '<', db.ref('total_quantity'))
    .update({ lock_fence: token });
  if (taken > 0) return undefined;
  const row = await db<CouponRow>('coupons').where({ id: couponId }).first('lock_fence');
  return row && Number(row.lock_fence) >= token ? Number(row.lock_fence) : undefined;
}

export async function insertIssue(db: Runner, couponId: number, userId: number, issuedAt: Date): Promise<void> {
  await db('coupon_issues').insert({ coupon_id: couponId, user_id: userId, issued_at: issuedAt });
}

export interface IssueRow {
  couponId: number;
  userId: number;
  issuedAt: Date;
}

/** Which of these users already hold the coupon. */
export function holdersAmong(db: Runner, couponId: number, userIds: readonly number[]): Promise<Set<number>> {
  return usersAmong(db, 'coupon_issues', couponId, userIds);
}

/**
 * A plain multi-row insert: a duplicate or a bad value fails the statement. (INSERT IGNORE would
 * turn a missing coupon or an out-of-range date into a warning and a row silently not written.)
 */
export async function insertIssues(db: Runner, rows: readonly IssueRow[]): Promise<void> {
  if (rows.length === 0) return;
  await db('coupon_issues').insert(rows.map((row) => ({ coupon_id: row.couponId, user_id: row.userId, issued_at: row.issuedAt })));
}

/**
 * Takes one place in a single statement, if the coupon has one left and `now` is in its window:
 * the row's lock is held from this update to the commit, and no lock before it. True if taken.
 */
export async function takePlace(db: Runner, couponId: number, now: Date): Promise<boolean> {
  const taken = await db('coupons')
    .where({ id: couponId })
    .andWhere('issued_quantity', '<', db.ref('total_quantity'))
    .andWhereRaw('(issue_start_at IS NULL OR issue_start_at <= ?)', [now])
    .andWhereRaw('(issue_end_at IS NULL OR issue_end_at > ?)', [now])
    .update({ issued_quantity: db.raw('issued_quantity + 1'), updated_at: db.raw('CURRENT_TIMESTAMP(3)') });
  return taken > 0;
}

/**
 * Takes one place if the row is still at the issue version it was read at (compare-and-set),
 * moving the version on. False if another request changed it first. The quantity is checked
 * again too: the other strategies take places without moving this version, so on a coupon
 * they issue as well, the version alone would not keep the count under the quantity.
 * MariaDB's snapshot isolation says "changed first" with an error (RECORD_CHANGED) rather than
 * by matching no row: the same lost race. That error has rolled the whole transaction back, so
 * after a false the caller must write nothing more in it (optimistic's attempt ends there).
 */
export async function takePlaceAtVersion(db: Runner, couponId: number, issueVersion: number): Promise<boolean> {
  try {
    const taken = await db('coupons')
      .where({ id: couponId, issue_version: issueVersion })
      .andWhere('issued_quantity', '<', db.ref('total_quantity'))
      .update({
        issued_quantity: db.raw('issued_quantity + 1'),
        issue_version: db.raw('issue_version + 1'),
        updated_at: db.raw('CURRENT_TIMESTAMP(3)'),
      });
    return taken > 0;
  } catch (error) {
    if (mysqlErrno(error) === MYSQL_ERRNO.RECORD_CHANGED) return false;
    throw error;
  }
}

/** The coupon's issue version (optimistic's compare-and-set), with the coupon. */
export async function findCouponAtVersion(db: Runner, id: number): Promise<{ coupon: Coupon; issueVersion: number } | undefined> {
  const row = await db<CouponRow>('coupons').where({ id }).first();
  return row ? { coupon: toCoupon(row), issueVersion: Number(row.issue_version) } : undefined;
}

export async function addIssued(db: Runner, couponId: number, count: number): Promise<void> {
  await db('coupons')
    .where({ id: couponId })
    .update({ issued_quantity: db.raw('issued_quantity + ?', [count]), updated_at: db.raw('CURRENT_TIMESTAMP(3)') });
}

export interface RevocationRow {
  couponId: number;
  userId: number;
  acceptedAt: Date;
  reason: string;
}

/** Which of these users had an accepted request revoked before. */
export function revokedAmong(db: Runner, couponId: number, userIds: readonly number[]): Promise<Set<number>> {
  return usersAmong(db, 'coupon_revocations', couponId, userIds);
}

async function usersAmong(db: Runner, table: string, couponId: number, userIds: readonly number[]): Promise<Set<number>> {
  if (userIds.length === 0) return new Set();
  const rows = await db(table).where({ coupon_id: couponId }).whereIn('user_id', userIds).pluck('user_id');
  return new Set(rows.map(Number));
}

export async function insertRevocations(db: Runner, rows: readonly RevocationRow[]): Promise<void> {
  if (rows.length === 0) return;
  await db('coupon_revocations').insert(rows.map((row) => ({ coupon_id: row.couponId, user_id: row.userId, accepted_at: row.acceptedAt, reason: row.reason })));
}

export async function addRevoked(db: Runner, couponId: number, count: number): Promise<void> {
  await db('coupons')
    .where({ id: couponId })
    .update({ revoked_quantity: db.raw('revoked_quantity + ?', [count]), updated_at: db.raw('CURRENT_TIMESTAMP(3)') });
}

export async function issuedUserIds(db: Runner, couponId: number): Promise<number[]> {
  const rows = await db('coupon_issues').where({ coupon_id: couponId }).select('user_id');
  return rows.map((row: { user_id: number }) => Number(row.user_id));
}
