import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { passFence } from '../core/coupon-repository.js';
import { LockTimeoutError, StaleFenceError } from '../core/errors.js';
import { KeyedMutex } from '../core/keyed-mutex.js';
import type { StrategyFactory } from './issue-strategy.js';
import { lockWait } from './observed.js';
import { transactionalIssue } from './issue-transaction.js';

/**
 * A Redis lock whose every acquisition hands out a fencing token, one more than the last
 * (Kleppmann, "How to do distributed locking"). The transaction's first statement writes the
 * token to the coupon row, and MySQL refuses a token older than the newest it has taken: a
 * holder whose lease ran out (a slow commit, a paused process) can no longer write after the
 * next holder has, and while it still writes, the next holder waits for its row lock. So the
 * lease is only about liveness: exact whatever the lease, the clock or a pause does. First,
 * not with the writes: a holder that read the count before the previous commit landed would
 * pass a check made only at its writes, its token being the newer one. (So it is that first
 * statement's row lock that orders the holders; the token makes one that lost its lease stop
 * at once rather than take its turn.)
 *
 * One Redis (REDIS_URL), not a majority of several: tokens must come from one counter to be
 * in order. If Redis loses the counter, MySQL refuses the lower tokens and the counter is
 * raised to what MySQL holds; requests in between answer LEASE_EXPIRED, none is wrongly written.
 */
export const createFencedLock: StrategyFactory = (deps) => {
  const { config, keys, redis, observer } = deps;
  const { LOCK_WAIT_MS: waitMs, LOCK_LEASE_MS: leaseMs, LOCK_RETRY_DELAY_MS: retryDelay } = config;
  const queue = new KeyedMutex('fenced-lock', waitMs);

  async function acquire(couponId: number, owner: string, startedAt: number): Promise<number> {
    for (;;) {
      const token = await redis.acquireFencedLock(keys.couponFencedLock(couponId), keys.couponFence(couponId), owner, leaseMs);
      if (token > 0) return token;
      const waited = Date.now() - startedAt;
      if (waited + retryDelay > waitMs) throw new LockTimeoutError('fenced-lock', waited);
      await sleep(retryDelay + Math.random() * retryDelay);
    }
  }

  /** Writes the token first; a refused one raises the counter past what MySQL holds. */
  async function fence(trx: typeof deps.db, couponId: number, token: number): Promise<void> {
    const newest = await passFence(trx, couponId, token);
    if (newest === undefined) return;
    await redis.catchUpFence(keys.couponFence(couponId), newest);
    throw new StaleFenceError('fenced-lock', token, newest);
  }

  return {
    name: 'fenced-lock',
    protection: 'global',
    uses: ['mysql', 'redis'],
    lockWaits: 'each request',
    asynchronous: false,
    card: {
      steps: [
        'take the Redis lock and a fencing token, one higher than the last',
        'first statement: write the token to the coupon row, refused if an older one',
        'read, decide, insert, commit',
        'release the lock if we still own it',
      ],
      needs: 'Redis (one: tokens come from one counter), MySQL, a fence column on the coupon row',
      pitfall: 'The token must be checked first, under the row lock: checked only with the writes, a holder that read the old count would still pass.',
    },
    issue(request) {
      const { couponId } = request;
      const startedAt = Date.now();
      const owner = randomBytes(12).toString('base64');
      const acquired = lockWait(observer, 'fenced-lock'); // the queue in this process, then Redis
      return queue.runExclusive(couponId, async () => {
        const token = await acquire(couponId, owner, startedAt);
        acquired();
        try {
          return await transactionalIssue(deps, request, { strategy: 'fenced-lock', enter: (trx) => fence(trx, couponId, token) });
        } finally {
          await redis.releaseLock(keys.couponFencedLock(couponId), owner).catch((error: unknown) => {
            deps.log.warn({ couponId, error }, 'fenced-lock: release failed; the lease will run out on its own');
          });
        }
      });
    },
  };
};
