import { KeyedMutex } from '../core/keyed-mutex.js';
import type { StrategyFactory } from './issue-strategy.js';
import { lockWait } from './observed.js';
import { transactionalIssue } from './issue-transaction.js';

/**
 * The classic pitfall ("synchronized inside @Transactional"): the mutex is taken inside the
 * transaction around reading and deciding, and released before the writes and the commit
 * (JPA flushes at commit). The next request gets the mutex while the previous one has not
 * yet written, reads the old count, and issues one too many.
 */
export const createMutexInTx: StrategyFactory = (deps) => {
  const mutexes = new KeyedMutex('mutex-in-tx', deps.config.LOCK_WAIT_MS);
  return {
    name: 'mutex-in-tx',
    protection: 'none',
    uses: ['mysql'],
    lockWaits: 'each attempt',
    asynchronous: false,
    card: {
      steps: ['begin a transaction', 'take an in-process mutex', 'read the count and decide', 'release the mutex', 'insert the row, add one, commit'],
      needs: 'MySQL',
      pitfall: 'The mutex is released before the writes commit, so the next request reads the old count: a lock released before the commit guards nothing.',
    },
    issue: (request) =>
      transactionalIssue(deps, request, {
        strategy: 'mutex-in-tx',
        aroundDecision(decide) {
          const acquired = lockWait(deps.observer, 'mutex-in-tx');
          return mutexes.runExclusive(request.couponId, () => {
            acquired();
            return decide();
          });
        },
      }),
  };
};
