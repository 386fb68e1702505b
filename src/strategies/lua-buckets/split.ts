import { randomUUID } from 'node:crypto';
import { findVersionedCoupon, issuedUserIds, type VersionedCoupon } from '../../core/coupon-repository.js';
import { ServiceUnavailableError } from '../../core/errors.js';
import { CONSUMER_GROUP, registerStream } from '../../core/issue-stream/registry.js';
import type { Redis } from '../../core/redis.js';
import { Credit, Seal, type SealMode } from '../../redis-scripts/replies.js';
import type { StrategyDeps } from '../issue-strategy.js';
import { addWaitingUsers } from '../lua/terms.js';
import { homeBucket, type Bucket, type Layout } from './layout.js';

export type SplitDeps = Pick<StrategyDeps, 'db' | 'redis' | 'keys'>;

const SADD_CHUNK = 5_000;
/** Starts over (Redis restarted, the coupon changed, a split with an older clock in the way) before giving up. */
const SPLIT_ATTEMPTS = 4;

/** `split`: done; `superseded`: a newer split sealed the buckets after this one, and finishes the work; `missing`: no such coupon. */
export type SplitOutcome = 'split' | 'superseded' | 'missing';

/**
 * Gives the coupon's free places out over its buckets: every bucket is sealed (it keeps its
 * taken places, frees the rest, and enters a new generation), then, once all are, each is
 * credited its part of the quantity less every taken place. `load` first rebuilds every bucket's
 * set from its stream and MySQL, on the server that holds it (as lua's terms.ts does for a
 * coupon), for a coupon never split, or a bucket Redis lost or restarted under; `resplit` keeps
 * the sets (a change of the quantity, a split left half done). Safe at any moment and from any
 * number of processes: a generation is sealed by one split only, a newer one voids an older
 * one's credits, and a split that dies half-way leaves buckets sealed, which the requests that
 * find them so for long split again (lua-buckets.ts). Sales pause only between seal and credit.
 */
export async function split(deps: SplitDeps, layout: Layout, mode: SealMode, changed?: VersionedCoupon): Promise<SplitOutcome> {
  let how = mode;
  let read = changed;
  let floor = 0;
  for (let attempt = 1; attempt <= SPLIT_ATTEMPTS; attempt++) {
    read ??= await findVersionedCoupon(deps.db, layout.couponId);
    if (!read) return 'missing';
    const runs = how === 'load' ? await rebuildSets(deps, layout) : undefined;
    const generation = Math.max(Date.now(), floor + 1);
    const owner = randomUUID();
    const sealed = await Promise.all(layout.buckets.map((bucket) => seal(deps.redis, bucket, how, generation, owner, read!, runs?.[bucket.index] ?? '')));
    const refused = sealed.find(([code]) => code !== Seal.SEALED);
    if (refused) {
      const [code, value = 0] = refused;
      if (code === Seal.SUPERSEDED) floor = value; // a split of a clock ahead of ours: go past it
      if (code === Seal.STALE_TERMS) read = undefined;
      if (code === Seal.TERMS_MISSING || code === Seal.UNVERIFIED) how = 'load';
      continue;
    }
    const credited = await creditAll(
      deps.redis,
      layout,
      generation,
      owner,
      read,
      sealed.map(([, taken]) => taken ?? 0),
    );
    if (credited === Credit.SUPERSEDED) return 'superseded';
    if (credited === Credit.UNVERIFIED) {
      how = 'load';
      continue;
    }
    await registerStream(deps.redis, deps.keys, ...layout.buckets.map((bucket) => bucket.tag));
    // A change that committed after our read found buckets of the older terms, or sealed: split
    // again with the newer ones (as lua's writeUntilCurrent does).
    const latest = await findVersionedCoupon(deps.db, layout.couponId);
    if (!latest || latest.version === read.version) return 'split';
    [read, how] = [latest, 'resplit'];
  }
  throw new ServiceUnavailableError('redis', new Error(`coupon ${layout.couponId}: its places could not be split in ${SPLIT_ATTEMPTS} attempts`));
}

function seal(redis: Redis, bucket: Bucket, mode: SealMode, generation: number, owner: string, { coupon, version }: VersionedCoupon, run: string) {
  const bound = (date: Date | null) => date?.getTime() ?? '';
  return redis.sealBucket(
    bucket.terms,
    bucket.requests,
    bucket.transfers,
    bucket.credited,
    bucket.stream,
    mode,
    generation,
    owner,
    version,
    coupon.totalQuantity,
    bound(coupon.issueStartAt),
    bound(coupon.issueEndAt),
    run,
    Date.now(),
    CONSUMER_GROUP,
  );
}

/** Credits each bucket its part of the free places; the worst answer: SUPERSEDED or UNVERIFIED stop the split. */
async function creditAll(redis: Redis, layout: Layout, generation: number, owner: string, read: VersionedCoupon, taken: number[]): Promise<Credit> {
  const free = read.coupon.totalQuantity - taken.reduce((sum, n) => sum + n, 0);
  const parts = evenParts(Math.max(0, free), layout.buckets.length);
  const answers = await Promise.all(layout.buckets.map((bucket, i) => redis.creditBucket(bucket.terms, generation, owner, parts[i]!)));
  return answers.find((answer) => answer === Credit.SUPERSEDED || answer === Credit.UNVERIFIED) ?? Credit.CREDITED;
}

/** `total` in `count` parts that differ by one at most. */
function evenParts(total: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => Math.floor(total / count) + (i < total % count ? 1 : 0));
}

/**
 * Every bucket's set gets back the users holding its places: those still waiting in its stream,
 * then those holding a row in MySQL, each in their home bucket (in that order, as lua's rebuild:
 * an entry leaves the stream only after its row has committed). Returns, per bucket, the run id
 * of the server its waiting users were first added on: if that server changed meanwhile, the seal,
 * which compares it with its own, refuses.
 */
async function rebuildSets({ db, redis }: SplitDeps, layout: Layout): Promise<string[]> {
  const runs = await Promise.all(layout.buckets.map((bucket) => addWaitingUsers(redis, bucket.stream, bucket.requests)));
  const holders = await issuedUserIds(db, layout.couponId);
  const count = layout.buckets.length;
  await Promise.all(
    layout.buckets.map(async (bucket) => {
      const own = holders.filter((user) => homeBucket(user, count) === bucket.index);
      for (let i = 0; i < own.length; i += SADD_CHUNK) await redis.sadd(bucket.requests, ...own.slice(i, i + SADD_CHUNK));
    }),
  );
  return runs;
}
