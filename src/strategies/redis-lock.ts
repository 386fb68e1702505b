import { setTimeout as sleep } from 'node:timers/promises';
import { ExecutionError, Redlock, ResourceLockedError, type Lock } from '@sesamecare-oss/redlock';
import { KeyedMutex } from '../core/keyed-mutex.js';
import { LeaseExpiredError, LockTimeoutError, ServiceUnavailableError } from '../core/errors.js';
import type { StrategyFactory } from './issue-strategy.js';
import { lockWait } from './observed.js';
import { transactionalIssue } from './issue-transaction.js';

/**
 * A Redis lock per coupon (Redlock: one Redis by default, a majority of LOCK_REDIS_URLS with
 * several), like Redisson's `tryLock(wait, lease)`: wait up to LOCK_WAIT_MS for it, hold it
 * for at most LOCK_LEASE_MS, run the whole transaction inside, release it only if we still
 * own it. With LOCK_WATCHDOG the lease is extended while the transaction runs.
 *
 * Exact only while the lease holds. The check of the lease just before commit rolls back a
 * transaction that outlived it, but it is not a fence: a commit that takes longer than the
 * lease left (or a pause between the check and the commit) lets a second holder read the old
 * count. fenced-lock is the cure.
 *
 * Requests of one process first queue on an in-process mutex, so each process has a single
 * contender polling Redis instead of hundreds (Redisson gets the same effect by waiting on
 * pub/sub). Across processes the contenders retry every LOCK_RETRY_DELAY_MS ± jitter.
 */
/** Time left on the lease below which a transaction is rolled back rather than committed. */
const COMMIT_MARGIN_MS = 100;

export const createRedisLock: StrategyFactory = (deps) => {
  const { LOCK_WAIT_MS: waitMs, LOCK_LEASE_MS: leaseMs, LOCK_RETRY_DELAY_MS: retryDelay, LOCK_WATCHDOG: watchdog } = deps.config;
  const redlock = new Redlock(deps.lockRedis, { retryCount: 0 });
  const queue = new KeyedMutex('redis-lock', waitMs);

  /** One attempt after another until the wait runs out; at once SERVICE_UNAVAILABLE when no majority can answer. */
  async function acquire(key: string, startedAt: number): Promise<Lock> {
    for (;;) {
      try {
        return await redlock.acquire([key], leaseMs);
      } catch (error) {
        if (!(error instanceof ExecutionError)) throw error;
        const { votesAgainst, quorumSize, membershipSize } = await error.attempts.at(-1)!;
        const down = [...votesAgainst.values()].filter((cause) => !(cause instanceof ResourceLockedError));
        if (membershipSize - down.length < quorumSize) throw new ServiceUnavailableError('redis', down[0]);
      }
      const waited = Date.now() - startedAt;
      if (waited + retryDelay > waitMs) throw new LockTimeoutError('redis-lock', waited);
      await sleep(retryDelay + Math.random() * retryDelay);
    }
  }

  return {
    name: 'redis-lock',
    protection: 'lease',
    uses: ['mysql', 'lock-redis'],
    lockWaits: 'each request',
    variants: { watchdog: { LOCK_WATCHDOG: 'true' } },
    asynchronous: false,
    card: {
      steps: [
        'queue in-process for the coupon',
        'take the Redis lock (Redlock) for at most the lease',
        'read, decide, insert; check the lease, commit',
        'release the lock only if we still own it',
      ],
      needs: 'Redis (one, or a majority of several), MySQL',
      pitfall:
        'Exact only while the lease holds: a commit slower than the lease left lets a second holder read the old count. The watchdog cures a slow commit, not a paused process.',
    },
    issue(request) {
      const startedAt = Date.now();
      const acquired = lockWait(deps.observer, 'redis-lock'); // the queue in this process, then Redis
      return queue.runExclusive(request.couponId, async () => {
        const held = heldLease(await acquire(deps.keys.couponLock(request.couponId), startedAt), leaseMs, watchdog);
        acquired();
        try {
          return await transactionalIssue(deps, request, {
            strategy: 'redis-lock',
            // A lease that ran out while the transaction ran (a slow query, a wait for a pooled
            // connection) may be another process's lock by now: committing could over-issue.
            beforeCommit: () => {
              if (!held.ours(COMMIT_MARGIN_MS)) throw new LeaseExpiredError('redis-lock', leaseMs);
            },
          });
        } finally {
          // The release script deletes the key only if it still holds our token: after the
          // lease has run out the lock may be someone else's, and we must not free it.
          await held.release().catch((error: unknown) => {
            deps.log.warn({ couponId: request.couponId, error }, 'redis-lock: release failed; the lease had probably expired');
          });
        }
      });
    },
  };
};

interface HeldLease {
  /** True while the lock is ours with at least `marginMs` of its lease left. */
  ours(marginMs: number): boolean;
  /** Stops any extension and releases the lock. */
  release(): Promise<void>;
}

/**
 * A lock as held: with the watchdog, its lease is extended every third of it (Redisson's
 * default), for as long as this process runs. A process that is stopped extends nothing:
 * its lease runs out, and the next extension fails because another holder has the lock.
 */
function heldLease(acquired: Lock, leaseMs: number, watchdog: boolean): HeldLease {
  let lock = acquired;
  let lost = false;
  let extending: Promise<void> | undefined;
  const timer = watchdog
    ? setInterval(() => {
        extending ??= lock
          .extend(leaseMs)
          .then((extended) => {
            lock = extended;
          })
          .catch(() => {
            lost = true;
          })
          .finally(() => {
            extending = undefined;
          });
      }, leaseMs / 3)
    : undefined;
  return {
    ours: (marginMs) => !lost && lock.expiration - Date.now() >= marginMs,
    async release() {
      clearInterval(timer);
      await extending; // an extension in flight would otherwise race the release
      await lock.release();
    },
  };
}
