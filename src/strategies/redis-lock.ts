import { ExecutionError, Redlock, ResourceLockedError, type Lock } from '@sesamecare-oss/redlock';
import { KeyedMutex } from '../core/keyed-mutex.js';
import { LeaseExpiredError, LockTimeoutError, ServiceUnavailableError } from '../core/errors.js';
import { log } from '../core/log.js';
import type { StrategyFactory } from './issue-strategy.js';
import { lockWait } from './observed.js';
import { issueInTransaction } from './transactional-issue.js';

/**
 * A Redis lock per coupon (the Redlock algorithm on one Redis), like Redisson's
 * `tryLock(wait, lease)`: wait up to LOCK_WAIT_MS for it, hold it for at most LOCK_LEASE_MS,
 * run the whole transaction inside, release it only if we still own it.
 *
 * Requests of one process first queue on an in-process mutex, so each process has a single
 * contender polling Redis instead of hundreds (Redisson gets the same effect by waiting on
 * pub/sub). Across processes the contenders retry every LOCK_RETRY_DELAY_MS ± jitter.
 */
/** Time left on the lease below which a transaction is rolled back rather than committed. */
const COMMIT_MARGIN_MS = 100;

export const createRedisLock: StrategyFactory = (deps) => {
  const { LOCK_WAIT_MS: waitMs, LOCK_LEASE_MS: leaseMs, LOCK_RETRY_DELAY_MS: retryDelay } = deps.config;
  const redlock = new Redlock([deps.lockRedis], { retryDelay, retryJitter: retryDelay, retryCount: 0 });
  const queue = new KeyedMutex('redis-lock', waitMs);

  async function acquire(key: string, waitLeftMs: number, startedAt: number): Promise<Lock> {
    try {
      return await redlock.acquire([key], leaseMs, { retryCount: Math.max(0, Math.floor(waitLeftMs / retryDelay)) });
    } catch (error) {
      if (!(error instanceof ExecutionError)) throw error;
      const last = await error.attempts.at(-1);
      const causes = [...(last?.votesAgainst.values() ?? [])];
      if (causes.every((cause) => cause instanceof ResourceLockedError)) throw new LockTimeoutError('redis-lock', Date.now() - startedAt);
      throw new ServiceUnavailableError('redis', causes[0]);
    }
  }

  return {
    name: 'redis-lock',
    protection: 'global',
    asynchronous: false,
    issue(request) {
      const startedAt = Date.now();
      const acquired = lockWait(deps.observer, 'redis-lock'); // the queue in this process, then Redis
      return queue.runExclusive(request.couponId, async () => {
        const lock = await acquire(deps.keys.couponLock(request.couponId), waitMs - (Date.now() - startedAt), startedAt);
        acquired();
        try {
          return await issueInTransaction(deps, request, {
            strategy: 'redis-lock',
            // A lease that ran out while the transaction ran (a slow query, a wait for a pooled
            // connection) may be another process's lock by now: committing could over-issue.
            beforeCommit: () => {
              if (lock.expiration - Date.now() < COMMIT_MARGIN_MS) throw new LeaseExpiredError('redis-lock', leaseMs);
            },
          });
        } finally {
          // The release script deletes the key only if it still holds our token: after the
          // lease has run out the lock may be someone else's, and we must not free it.
          await lock.release().catch((error: unknown) => {
            log.warn({ couponId: request.couponId, error }, 'redis-lock: release failed; the lease had probably expired');
          });
        }
      });
    },
  };
};
