import { findVersionedCoupon, issuedUserIds, type VersionedCoupon } from '../../core/coupon-repository.js';
import type { Redis } from '../../core/redis.js';
import type { StrategyDeps } from '../issue-strategy.js';
import { parseEntry } from './stream-entries.js';
import { ensureConsumerGroup, registerStream } from './stream-registry.js';
import { defineTermsScript, TermsWrite, type TermsWriteMode } from './terms-script.js';

const SADD_CHUNK = 5_000;
const XRANGE_CHUNK = 10_000;

type TermsDeps = Pick<StrategyDeps, 'db' | 'redis' | 'keys'>;

/**
 * Copies what the lua path needs about a coupon from MySQL into Redis, so that later requests
 * never read MySQL, and rebuilds its requests set: the first time a coupon is asked for, and
 * again whenever issue.lua finds the Redis server is not the one the set was rebuilt on (it
 * restarted, possibly from an older snapshot, or a replica took over). Safe to run twice or
 * from two processes at once: every step only adds users who hold a place, and terms only
 * ever replace older terms. Returns false if the coupon does not exist.
 */
export async function loadTerms(deps: TermsDeps, couponId: number): Promise<boolean> {
  const { db, redis, keys } = deps;
  const read = await findVersionedCoupon(db, couponId);
  if (!read) return false;
  // The group must exist before the first XADD, or the consumer would not see that entry.
  await ensureConsumerGroup(redis, keys.couponStream(couponId));
  // Every admitted user is waiting in the stream or holds a row, and is read in this order:
  // an entry leaves the stream only after its row has committed, so a user who moves from
  // one to the other meanwhile is still found in the second read. The set keeps the members
  // it has: SADD only adds, so a set that lost nothing stays as it was.
  const waiting = await waitingUsers(redis, keys.couponStream(couponId));
  const holders = await issuedUserIds(db, couponId);
  const admitted = [...new Set([...waiting, ...holders])];
  for (let i = 0; i < admitted.length; i += SADD_CHUNK) {
    await redis.sadd(keys.couponRequests(couponId), ...admitted.slice(i, i + SADD_CHUNK));
  }
  // Written last: the terms, marked as rebuilt on this server, are what lets the script admit.
  await writeUntilCurrent(deps, couponId, read);
  return true;
}

/** The users of every entry still in the stream: accepted, not yet written to MySQL. */
async function waitingUsers(redis: Redis, stream: string): Promise<number[]> {
  const users: number[] = [];
  for (let start = '-'; ; ) {
    const chunk = await redis.xrange(stream, start, '+', 'COUNT', XRANGE_CHUNK);
    for (const [id, fields] of chunk) {
      const entry = parseEntry({ stream, id, fields });
      if (entry) users.push(entry.userId);
    }
    if (chunk.length < XRANGE_CHUNK) return users;
    start = `(${chunk.at(-1)![0]}`;
  }
}

/**
 * Writes the terms, then reads the version again, and writes the newer row until MySQL has
 * not moved on. Why: a change can commit after our read and find no hash to refresh (a refresh
 * never creates one), and our write then puts the older terms in place. That change committed
 * before our re-read, so the re-read sees it and the next write carries it.
 */
async function writeUntilCurrent(deps: TermsDeps, couponId: number, read: VersionedCoupon): Promise<void> {
  let written = read;
  for (;;) {
    await writeTerms(deps, couponId, written, 'load');
    const latest = await findVersionedCoupon(deps.db, couponId);
    if (!latest || latest.version === written.version) return;
    written = latest;
  }
}

/**
 * Brings loaded terms up to a changed coupon; a coupon the lua path never loaded stays
 * unloaded (its first request loads it fresh). Call it after the change has committed.
 */
export async function refreshTerms(deps: TermsDeps, couponId: number, changed: VersionedCoupon): Promise<TermsWrite> {
  return writeTerms(deps, couponId, changed, 'refresh');
}

async function writeTerms(
  { redis, keys }: TermsDeps,
  couponId: number,
  { coupon, version }: VersionedCoupon,
  mode: TermsWriteMode,
): Promise<TermsWrite> {
  defineTermsScript(redis); // a no-op when the lua strategy has defined it at start-up
  const outcome = await redis.writeTerms(
    keys.couponTerms(couponId),
    mode,
    version,
    coupon.totalQuantity,
    coupon.issueStartAt?.getTime() ?? '',
    coupon.issueEndAt?.getTime() ?? '',
  );
  // Terms that admit requests need a consumer reading the stream, and the consumer stops reading
  // a coupon's stream once it is sold out or its window has ended: new terms may undo either.
  // Registered after the write, so a prune that removed it meanwhile sees these terms when it
  // checks again, and registers it back itself.
  if (outcome === TermsWrite.WRITTEN) await registerStream(redis, keys, couponId);
  return outcome;
}
