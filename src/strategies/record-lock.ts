import type { StrategyFactory } from './issue-strategy.js';
import { transactionalIssue } from './issue-transaction.js';

/**
 * MySQL's own lock: the coupon row is read with SELECT … FOR UPDATE and stays locked until
 * commit, so requests for one coupon queue inside the database, across any number of
 * processes. Simple and exact; the one hot row bounds throughput.
 */
export const createRecordLock: StrategyFactory = (deps) => ({
  name: 'record-lock',
  protection: 'global',
  uses: ['mysql'],
  lockWaits: 'each attempt',
  asynchronous: false,
  card: {
    steps: ['begin a transaction', 'SELECT … FOR UPDATE the coupon row', 'check the count, insert the row, add one', 'commit, which releases the row'],
    needs: 'MySQL alone',
    pitfall: 'Every request for the coupon queues on its one row: the hot row bounds throughput.',
  },
  issue: (request) => transactionalIssue(deps, request, { strategy: 'record-lock', lockCouponRow: true }),
});
