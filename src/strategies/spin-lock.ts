import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { LockTimeoutError } from '../core/errors.js';
import type { StrategyFactory } from './issue-strategy.js';
import { issueUnderLease } from './lease.js';

/**
 * The lock most tutorials write first (Spring Data Redis over Lettuce, `setIfAbsent` in a
 * loop): every request sends `SET key token NX PX lease` until one succeeds, sleeping between
 * tries with a growing, jittered backoff, and deletes the key afterwards only if it still
 * holds its token. No queue in the process and no wake-up: each waiter polls Redis on its own,
 * so the Redis commands grow with the crowd, and the next holder is whoever polls first after
 * a release, not whoever came first.
 *
 * Exact only while the lease holds, as redis-lock: the lease is checked before commit, which
 * is no fence against a commit or a pause that outlasts it.
 */
export const createSpinLock: StrategyFactory = (deps) => {
  const { config, keys, redis } = deps;
  const { LOCK_WAIT_MS: waitMs, LOCK_LEASE_MS: leaseMs, LOCK_RETRY_DELAY_MS: retryDelay } = config;
  // The backoff doubles from LOCK_RETRY_DELAY_MS up to ten times it (10 ms to 100 ms by default).
  const backoffCap = 10 * retryDelay;

  /** Polls until the lock is taken; returns when it was (just before the winning SET was sent). */
  async function acquire(key: string, token: string, startedAt: number): Promise<number> {
    for (let attempt = 0; ; attempt++) {
      const sentAt = performance.now();
      if ((await redis.set(key, token, 'PX', leaseMs, 'NX')) === 'OK') return sentAt;
      const backoff = Math.min(backoffCap, retryDelay * 2 ** attempt);
      const pause = backoff / 2 + Math.random() * (backoff / 2);
      const waited = Date.now() - startedAt;
      if (waited + pause > waitMs) throw new LockTimeoutError('spin-lock', waited);
      await sleep(pause);
    }
  }

  return {
    name: 'spin-lock',
    protection: 'lease',
    uses: ['mysql', 'redis'],
    lockWaits: 'each request',
    asynchronous: false,
    card: {
      steps: [
        'SET lock NX PX lease, again and again with a growing backoff',
        'read, decide, insert',
        'check the lease is still held, commit',
        'delete the lock if it still holds our token',
      ],
      needs: 'Redis, MySQL',
      pitfall:
        'Exact only while the lease holds: a commit or a pause that outlasts it lets a second holder in. Every waiter polls Redis, so commands grow with the crowd.',
    },
    issue(request) {
      const key = keys.couponLockOf(request.couponId, 'spin-lock');
      // Released only if the key still holds our token: after the lease it may be another holder's.
      const token = randomBytes(12).toString('base64');
      return issueUnderLease(deps, request, 'spin-lock', { acquire: () => acquire(key, token, Date.now()), release: () => redis.releaseLock(key, token) });
    },
  };
};
