import { findVersionedCoupon, issuedUserIds, type VersionedCoupon } from '../../core/coupon-repository.js';
import { ServiceUnavailableError } from '../../core/errors.js';
import type { Redis } from '../../core/redis.js';
import type { StrategyDeps } from '../issue-strategy.js';
import { ensureConsumerGroup, registerStream } from '../../core/issue-stream/registry.js';
import { TermsWrite } from '../../redis-scripts/replies.js';

const SADD_CHUNK = 5_000;
const XRANGE_CHUNK = 10_000;
/** Restarts of Redis met during one rebuild before giving up on it (each starts it over). */
const REBUILD_ATTEMPTS = 3;

type TermsDeps = Pick<StrategyDeps, 'db' | 'redis' | 'keys'>;

/**
 * Whose terms are loaded: the lua path's (the coupon's stream made with the consumers' group, its
 * requests set rebuilt, the stream registered for the consumers), or the broker strategies' (the
 * terms alone: they admit by a count of their own, and a stream registered for them would be read
 * by every stream consumer, empty, and never pruned).
 */
export type TermsFor = 'stream' | 'terms-only';

/**
 * Copies what the lua path needs about a coupon from MySQL into Redis, so that later requests
 * never read MySQL, and rebuilds its requests set: the first time a coupon is asked for, and
 * again whenever issue.lua finds the Redis server is not the one the set was rebuilt on (it
 * restarted, possibly from an older snapshot, or a replica took over). Safe to run twice or
 * from two processes at once: every step only adds users who hold a place, and terms only
 * ever replace older terms. Returns false if the coupon does not exist.
 */
export async function loadTerms(deps: TermsDeps, couponId: number, terms: TermsFor = 'stream'): Promise<boolean> {
  for (let attempt = 1; attempt <= REBUILD_ATTEMPTS; attempt++) {
    const read = await findVersionedCoupon(deps.db, couponId);
    if (!read) return false;
    if (await rebuild(deps, couponId, read, terms)) return true;
  }
  throw new ServiceUnavailableError('redis', new Error(`Redis restarted ${REBUILD_ATTEMPTS} times while coupon ${couponId} was loaded`));
}

/**
 * loadTerms, shared by the requests that find a coupon's terms missing at the same moment (the first
 * requests for a coupon all do): one load per coupon at a time, not one per request.
 */
export function termsLoader(deps: TermsDeps, terms: TermsFor = 'stream'): (couponId: number) => Promise<boolean> {
  const loading = new Map<number, Promise<boolean>>();
  return (couponId) => {
    let pending = loading.get(couponId);
    if (!pending) {
      pending = loadTerms(deps, couponId, terms).finally(() => loading.delete(couponId));
      loading.set(couponId, pending);
    }
    return pending;
  };
}

/** One attempt: false if Redis restarted or failed over meanwhile, so that its work may be lost. */
async function rebuild(deps: TermsDeps, couponId: number, read: VersionedCoupon, terms: TermsFor): Promise<boolean> {
  const { db, redis, keys } = deps;
  if (terms === 'terms-only') {
    // No stream, nothing to add: the script only says which server the coupon's keys live on
    // (its run id, read where the keys' slot is, a cluster's master included), as the write needs.
    const run = await addWaitingUsers(redis, keys.couponStream(couponId), keys.couponRequests(couponId));
    return writeUntilCurrent(deps, couponId, read, run, terms);
  }
  // The group must exist before the first XADD, or the consumer would not see that entry.
  await ensureConsumerGroup(redis, keys.couponStream(couponId));
  // Every admitted user is waiting in the stream or holds a row, and is read in this order:
  // an entry leaves the stream only after its row has committed, so a user who moves from
  // one to the other meanwhile is still found in the second read. The set keeps the members
  // it has: SADD only adds, so a set that lost nothing stays as it was.
  const run = await addWaitingUsers(redis, keys.couponStream(couponId), keys.couponRequests(couponId));
  const holders = await issuedUserIds(db, couponId);
  for (let i = 0; i < holders.length; i += SADD_CHUNK) {
    await redis.sadd(keys.couponRequests(couponId), ...holders.slice(i, i + SADD_CHUNK));
  }
  // Written last, and only on the server the rebuild began on: the terms, marked as rebuilt
  // there, are what lets the script admit.
  return writeUntilCurrent(deps, couponId, read, run, terms);
}

/**
 * Adds the users still waiting in a stream to its requests set, chunk by chunk; returns the run id
 * of the server they were added on (lua-buckets rebuilds each bucket's set with it too).
 */
export async function addWaitingUsers(redis: Redis, stream: string, requests: string): Promise<string> {
  let run: string | undefined;
  for (let start = '-'; ;) {
    const [chunkRun, last, read] = await redis.addWaiting(stream, requests, start, XRANGE_CHUNK);
    run ??= chunkRun;
    // A chunk on another server than the first: what the first ones added may be gone. The
    // terms are written only on the first one's run id, so they will not be, and the rebuild
    // starts over.
    if (chunkRun !== run) return run;
    if (read < XRANGE_CHUNK) return run;
    start = `(${last}`;
  }
}

/**
 * Writes the terms, then reads the version again, and writes the newer row until MySQL has
 * not moved on. Why: a change can commit after our read and find no hash to refresh (a refresh
 * never creates one), and our write then puts the older terms in place. That change committed
 * before our re-read, so the re-read sees it and the next write carries it. False if the
 * server is no longer the one the rebuild began on.
 */
async function writeUntilCurrent(deps: TermsDeps, couponId: number, read: VersionedCoupon, run: string, terms: TermsFor): Promise<boolean> {
  let written = read;
  for (;;) {
    if ((await writeTerms(deps, couponId, written, { mode: 'load', run, terms })) === TermsWrite.RESTARTED) return false;
    const latest = await findVersionedCoupon(deps.db, couponId);
    if (!latest || latest.version === written.version) return true;
    written = latest;
  }
}

/**
 * Brings loaded terms up to a changed coupon; a coupon the lua path never loaded stays
 * unloaded (its first request loads it fresh). Call it after the change has committed.
 */
export async function refreshTerms(deps: TermsDeps, couponId: number, changed: VersionedCoupon): Promise<TermsWrite> {
  return writeTerms(deps, couponId, changed, { mode: 'refresh' });
}

/** 'load': after a rebuild that began on the server of run id `run`; 'refresh': after a change. */
type TermsWriteOf = { mode: 'load'; run: string; terms: TermsFor } | { mode: 'refresh' };

/** Whether the coupon's requests go to its stream: a load says whose terms it writes; a refresh finds the stream its load made, or none. */
async function admitsToStream(redis: Redis, keys: TermsDeps['keys'], couponId: number, how: TermsWriteOf): Promise<boolean> {
  if (how.mode === 'load') return how.terms === 'stream';
  return (await redis.exists(keys.couponStream(couponId))) === 1;
}

async function writeTerms({ redis, keys }: TermsDeps, couponId: number, { coupon, version }: VersionedCoupon, how: TermsWriteOf): Promise<TermsWrite> {
  const outcome = await redis.writeTerms(
    keys.couponTerms(couponId),
    how.mode,
    version,
    coupon.totalQuantity,
    coupon.issueStartAt?.getTime() ?? '',
    coupon.issueEndAt?.getTime() ?? '',
    how.mode === 'load' ? how.run : '',
  );
  // Terms that admit requests need a consumer reading the stream, and the consumer stops reading
  // a coupon's stream once it is sold out or its window has ended: new terms may undo either.
  // Registered after the write, so a prune that removed it meanwhile sees these terms when it
  // checks again, and registers it back itself. Only the lua path's: its load made the stream,
  // with the consumers' group, before any terms; the broker strategies' terms have none.
  if (outcome === TermsWrite.WRITTEN && (await admitsToStream(redis, keys, couponId, how))) await registerStream(redis, keys, couponId);
  return outcome;
}
