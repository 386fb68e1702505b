import { KeyedMutex } from '../core/keyed-mutex.js';
import type { StrategyFactory } from './issue-strategy.js';
import { lockWait } from './observed.js';
import { transactionalIssue } from './issue-transaction.js';

/**
 * An in-process mutex per coupon around the whole transaction, commit included, so the next
 * request reads the committed count. Exact in one process; a second server process has its
 * own mutexes and the two over-issue together.
 */
export const createMutex: StrategyFactory = (deps) => {
  const mutexes = new KeyedMutex('mutex', deps.config.LOCK_WAIT_MS);
  return {
    name: 'mutex',
    protection: 'process',
    uses: ['mysql'],
    lockWaits: 'each request',
    asynchronous: false,
    card: {
      steps: ['take an in-process mutex for the coupon', 'read the count, decide, insert, commit', 'release the mutex'],
      needs: 'MySQL; one server process',
      pitfall: 'Each process has mutexes of its own: two server processes over-issue together.',
    },
    issue(request) {
      const acquired = lockWait(deps.observer, 'mutex');
      return mutexes.runExclusive(request.couponId, () => {
        acquired();
        return transactionalIssue(deps, request, { strategy: 'mutex' });
      });
    },
  };
};
