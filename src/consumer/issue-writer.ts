import { addIssued, addRevoked, findCoupon, holdersAmong, insertIssues, insertRevocations, revokedAmong } from '../core/coupon-repository.js';
import type { Coupon } from '../core/coupon.js';
import type { Db } from '../core/db.js';
import { isMysqlDataError, MYSQL_ERRNO, mysqlErrno } from '../core/mysql-errors.js';
import { groupBy } from '../core/group-by.js';
import type { IssueEntry, RawEntry } from '../core/issue-stream/entries.js';

/** An entry that can never be written, and why. */
export interface Parked {
  entry: RawEntry;
  reason: string;
}

export interface WriteOutcome {
  /** Rows inserted now (a replayed entry whose row exists counts 0). */
  written: number;
  /** Revocations recorded now: accepted requests that found no place left (a replay is recorded once). */
  revoked: number;
  /** Every entry that found no place left, replays included: its place in Redis must be given back. */
  unplaced: IssueEntry[];
  /**
   * Every entry whose user holds a row now, written or found written before: its place in Redis
   * must be held. It is, unless Redis lost it (an entry being written when Redis restarted is not
   * in the set rebuilt meanwhile), and then Redis would admit one more than MySQL has room for.
   */
  placed: IssueEntry[];
  /** Entries MySQL refuses however often they are sent: a coupon that does not exist, a bad value. */
  refused: Parked[];
}

const REVOKED_REASON = 'no place left: Redis admitted more requests than the quantity it was admitted against';

/**
 * Writes accepted requests to MySQL, in one transaction. If MySQL refuses a value in the batch,
 * writes one entry at a time to find it; an outage, or anything not known to be about the
 * values, is thrown, so that the caller leaves the entries pending and retries them later.
 */
export async function writeEntries(db: Db, entries: IssueEntry[]): Promise<WriteOutcome> {
  try {
    return await inTransaction(db, (trx) => writeBatch(trx, entries));
  } catch (error) {
    if (!isMysqlDataError(error)) throw error;
    const outcome: WriteOutcome = { written: 0, revoked: 0, unplaced: [], placed: [], refused: [] };
    for (const entry of entries) {
      try {
        const one = await inTransaction(db, (trx) => writeBatch(trx, [entry]));
        outcome.written += one.written;
        outcome.revoked += one.revoked;
        outcome.unplaced.push(...one.unplaced);
        outcome.placed.push(...one.placed);
        outcome.refused.push(...one.refused);
      } catch (single) {
        if (!isMysqlDataError(single)) throw single;
        outcome.refused.push({ entry, reason: single instanceof Error ? single.message : String(single) });
      }
    }
    return outcome;
  }
}

/**
 * READ COMMITTED: every read sees what is committed when it runs, rather than a snapshot taken
 * at the transaction's first read. The coupon row's lock, taken per coupon, is what orders the
 * writers; a snapshot older than that lock (the batch's first coupon read before this one's lock
 * was granted) could miss a row another consumer committed for it in between.
 */
function inTransaction<T>(db: Db, work: (trx: Db) => Promise<T>): Promise<T> {
  return db.transaction(work, { isolationLevel: 'read committed' });
}

/**
 * Per coupon, under its row lock: every insert of a coupon's rows happens under that lock (the
 * strategies update the row first), so the count read here stays true until the commit, and
 * locking it first keeps the insert's foreign-key check from deadlocking with the count update.
 */
async function writeBatch(trx: Db, entries: IssueEntry[]): Promise<WriteOutcome> {
  const outcome: WriteOutcome = { written: 0, revoked: 0, unplaced: [], placed: [], refused: [] };
  for (const [couponId, group] of groupBy(entries, (entry) => entry.couponId)) {
    const coupon = await findCoupon(trx, couponId, { forUpdate: true });
    if (!coupon) {
      outcome.refused.push(...group.map((entry) => ({ entry, reason: 'no such coupon' })));
      continue;
    }
    // One entry per user, the first, even if a replayed entry arrives twice in one batch. In the
    // order they were admitted: lua-buckets' entries come from several streams, read in no order
    // of theirs, and the fence judges each against the quantity it was admitted under.
    const once = new Map<number, IssueEntry>();
    for (const entry of admissionOrder(group)) if (!once.has(entry.userId)) once.set(entry.userId, entry);
    const { written, revoked, unplaced, placed } = await writeWithinQuantity(trx, coupon, [...once.values()]);
    outcome.written += written;
    outcome.revoked += revoked;
    outcome.unplaced.push(...unplaced);
    outcome.placed.push(...placed);
  }
  return outcome;
}

/**
 * MySQL is the last fence: in the order they were admitted, an entry is written only while the
 * coupon holds fewer rows than the quantity it was admitted against (so a later raise never
 * widens an older admission, and a lowering never takes back what was promised before it). An
 * entry beyond that is revoked. Redis admits more than that only when it lost part of what it
 * had admitted (a restart, an older snapshot, a lagging replica).
 */
async function writeWithinQuantity(trx: Db, coupon: Coupon, entries: IssueEntry[]): Promise<Pick<WriteOutcome, 'written' | 'revoked' | 'unplaced' | 'placed'>> {
  const places = (entry: IssueEntry) => entry.admittedTotal ?? coupon.totalQuantity;
  // The usual case: entries read for the first time, every one with a place.
  if (entries.every((entry, i) => coupon.issuedQuantity + i < places(entry))) {
    try {
      await insertIssues(trx, entries.map(toRow));
      await addIssued(trx, coupon.id, entries.length);
      return { written: entries.length, revoked: 0, unplaced: [], placed: entries };
    } catch (error) {
      if (mysqlErrno(error) !== MYSQL_ERRNO.DUPLICATE_ENTRY) throw error;
      // A replay: some of these users hold a row already. MySQL undid only the failed
      // statement, and the row lock still stands, so who holds one cannot change meanwhile.
    }
  }
  const held = await holdersAmong(
    trx,
    coupon.id,
    entries.map((entry) => entry.userId),
  );
  const write: IssueEntry[] = [];
  const unplaced: IssueEntry[] = [];
  for (const entry of entries) {
    if (held.has(entry.userId)) continue;
    if (coupon.issuedQuantity + write.length < places(entry)) write.push(entry);
    else unplaced.push(entry);
  }
  await insertIssues(trx, write.map(toRow));
  if (write.length > 0) await addIssued(trx, coupon.id, write.length);
  const placed = entries.filter((entry) => held.has(entry.userId)).concat(write);
  return { written: write.length, revoked: await revoke(trx, coupon.id, unplaced), unplaced, placed };
}

/** Records the revocations not recorded before (a replayed entry is revoked once); returns how many. */
async function revoke(trx: Db, couponId: number, entries: IssueEntry[]): Promise<number> {
  if (entries.length === 0) return 0;
  const before = await revokedAmong(
    trx,
    couponId,
    entries.map((entry) => entry.userId),
  );
  const fresh = entries.filter((entry) => !before.has(entry.userId));
  await insertRevocations(
    trx,
    fresh.map((entry) => ({ couponId, userId: entry.userId, acceptedAt: entry.acceptedAt, reason: REVOKED_REASON })),
  );
  if (fresh.length > 0) await addRevoked(trx, couponId, fresh.length);
  return fresh.length;
}

function admissionOrder(entries: IssueEntry[]): IssueEntry[] {
  return [...entries].sort((a, b) => a.acceptedAt.getTime() - b.acceptedAt.getTime());
}

function toRow(entry: IssueEntry) {
  return { couponId: entry.couponId, userId: entry.userId, issuedAt: entry.acceptedAt };
}
