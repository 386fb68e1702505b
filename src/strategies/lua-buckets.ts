import { setTimeout as sleep } from 'node:timers/promises';
import type { IssueRequest } from '../core/coupon.js';
import { findVersionedCoupon } from '../core/coupon-repository.js';
import { ContendedError, ServiceUnavailableError } from '../core/errors.js';
import { BucketAdmission } from '../redis-scripts/replies.js';
import { ACCEPTED, refused, type IssueResult, type StrategyDeps, type StrategyFactory } from './issue-strategy.js';
import { findPlace, settle, type Next, type Transfer } from './lua-buckets/fallback.js';
import { bucketLayout, homeBucket, type Bucket, type Layout } from './lua-buckets/layout.js';
import { split, type SplitOutcome } from './lua-buckets/split.js';

/** A pause before looking again while places are on their way or a split is under way. */
const WAIT_MS = 5;
/** A bucket sealed this long without its credit: its split died, and the request that finds it splits again. */
export const SPLIT_STALL_MS = 1_000;

/**
 * lua, with the coupon's places split over LUA_BUCKETS buckets, each under a hash tag of its own,
 * so that on Redis Cluster one coupon's requests spread over the masters instead of one. A user
 * is admitted only at their home bucket (a hash of the id), atomically, by one script, as lua
 * admits at its one key: one per user never crosses a slot. A request whose home bucket is
 * empty has places moved to it from another bucket first (lua-buckets/fallback.ts), and is told
 * sold out only once every bucket was seen empty. The consumer writes every bucket's stream, and
 * its fence in MySQL stays the last guard.
 */
export const createLuaBuckets: StrategyFactory = (deps) => {
  const layouts = new Map<number, Layout>();
  const splitting = new Map<number, Promise<Layout | undefined>>();

  /** The coupon's layout: known here, or stored by the process that first split it, or undefined. */
  async function layoutOf(couponId: number): Promise<Layout | undefined> {
    const known = layouts.get(couponId);
    if (known) return known;
    const count = Number(await deps.redis.hget(deps.keys.couponBuckets(couponId), 'count'));
    return count > 0 ? remember(couponId, count) : undefined;
  }

  function remember(couponId: number, count: number): Layout {
    const layout = bucketLayout(deps.keys, couponId, count);
    layouts.set(couponId, layout);
    return layout;
  }

  /** One split per coupon at a time in this process, however many requests find it needed. */
  function splitOnce(couponId: number, mode: 'load' | 'resplit'): Promise<Layout | undefined> {
    let pending = splitting.get(couponId);
    if (!pending) {
      pending = splitCoupon(couponId, mode).finally(() => splitting.delete(couponId));
      splitting.set(couponId, pending);
    }
    return pending;
  }

  async function splitCoupon(couponId: number, mode: 'load' | 'resplit'): Promise<Layout | undefined> {
    const read = await findVersionedCoupon(deps.db, couponId);
    if (!read) return undefined;
    const layout = await fixLayout(couponId);
    const outcome: SplitOutcome = await split(deps, layout, mode, read);
    return outcome === 'missing' ? undefined : layout;
  }

  /**
   * The count is the coupon's for life, whatever LUA_BUCKETS another process runs with: the first
   * split stores it, and every process reads it. Redis that lost it gets back the one known here.
   */
  async function fixLayout(couponId: number): Promise<Layout> {
    const key = deps.keys.couponBuckets(couponId);
    await deps.redis.hsetnx(key, 'count', layouts.get(couponId)?.buckets.length ?? deps.config.LUA_BUCKETS);
    return remember(couponId, Number(await deps.redis.hget(key, 'count')));
  }

  return {
    name: 'lua-buckets',
    protection: 'global',
    uses: ['redis', 'mysql'],
    lockWaits: 'none',
    asynchronous: true,
    card: {
      steps: [
        "the coupon's places split over buckets, each under a hash tag of its own (its own cluster master)",
        "one Lua script at the user's home bucket checks the place and the user; answer 202",
        'a home bucket that ran dry first takes places from another (take, then credit once)',
        'sold out only once every bucket was seen empty twice; the consumer drains every bucket',
      ],
      needs: 'Redis (append-only; a cluster of three masters or more to spread one coupon), MySQL, a consumer',
      pitfall:
        'A fallback cut short leaves places on their way between buckets until a later request completes the transfer; more Redis commands per request near the sell-out.',
    },
    async issue(request): Promise<IssueResult> {
      const layout = (await layoutOf(request.couponId)) ?? (await splitOnce(request.couponId, 'load'));
      if (!layout) return refused('COUPON_NOT_FOUND');
      return issueAt(deps, layout, request, splitOnce);
    },
  };
};

type SplitOnce = (couponId: number, mode: 'load' | 'resplit') => Promise<Layout | undefined>;

/** Admits at home; when home is empty, looks for a place elsewhere, until an answer or LOCK_WAIT_MS. */
async function issueAt(deps: StrategyDeps, layout: Layout, request: IssueRequest, splitOnce: SplitOnce): Promise<IssueResult> {
  const home = layout.buckets[homeBucket(request.userId, layout.buckets.length)]!;
  const started = Date.now();
  let transfer: Transfer | undefined;
  let reloaded = false;
  for (let round = 1; ; round++) {
    const reply = await admitAtHome(deps, home, request, transfer);
    if (transfer) await settle(deps.redis, layout, transfer);
    const next = await nextStep(deps, layout, home.index, reply);
    if ('outcome' in next) return next;
    transfer = next.kind === 'transfer' ? next.transfer : undefined;
    if (next.kind === 'reload') {
      // Lost or replaced right after loading: Redis is not keeping what it is given, or restarted again meanwhile.
      if (reloaded) throw new ServiceUnavailableError('redis', new Error(`the buckets of coupon ${request.couponId} were lost right after loading`));
      reloaded = true;
      if (!(await splitOnce(request.couponId, 'load'))) return refused('COUPON_NOT_FOUND');
    }
    if (next.kind === 'sealed') await (Date.now() - next.sealedAt > SPLIT_STALL_MS ? splitOnce(request.couponId, 'resplit') : sleep(WAIT_MS));
    if (next.kind === 'again') {
      deps.observer.retried('lua-buckets');
      if (next.wait) await sleep(WAIT_MS);
    }
    // Never while holding a transfer: its places would wait for a look to complete it.
    if (!transfer && Date.now() - started > deps.config.LOCK_WAIT_MS) throw new ContendedError('lua-buckets', round, Date.now() - started);
  }
}

/** bucket-issue.lua at the user's home bucket, crediting first what a transfer brought, if any. */
function admitAtHome({ redis }: StrategyDeps, home: Bucket, { couponId, userId }: IssueRequest, transfer: Transfer | undefined) {
  const { id = '', places = 0, generation = 0 } = transfer ?? {};
  return redis.admitAtBucket(home.terms, home.requests, home.stream, home.credited, userId, Date.now(), couponId, id, places, generation);
}

/** What home's answer means: the answer to give, or what to do before asking home again. */
async function nextStep({ redis }: StrategyDeps, layout: Layout, home: number, [code, generation = 0, sealedAt = 0]: number[]): Promise<IssueResult | Next> {
  switch (code) {
    case BucketAdmission.ACCEPTED:
      return ACCEPTED;
    case BucketAdmission.ALREADY_ISSUED:
      return refused('ALREADY_ISSUED');
    case BucketAdmission.SOLD_OUT:
      return refused('COUPON_SOLD_OUT');
    case BucketAdmission.NOT_IN_WINDOW:
      return refused('COUPON_NOT_IN_ISSUE_WINDOW');
    case BucketAdmission.TERMS_MISSING:
    case BucketAdmission.UNVERIFIED:
      return { kind: 'reload' };
    case BucketAdmission.SEALED:
      return { kind: 'sealed', sealedAt: sealedAt || generation };
    case BucketAdmission.EMPTY:
    case BucketAdmission.EMPTY_MEMBER: {
      const next = await findPlace(redis, layout, home, code === BucketAdmission.EMPTY_MEMBER);
      if (next.kind === 'sold-out') return refused('COUPON_SOLD_OUT');
      return next.kind === 'available' ? refused('ALREADY_ISSUED') : next;
    }
    default:
      throw new Error(`lua-buckets: bucket-issue.lua answered ${String(code)}, which no BucketAdmission names`);
  }
}
