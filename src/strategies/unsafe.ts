import type { StrategyFactory } from './issue-strategy.js';
import { transactionalIssue } from './issue-transaction.js';

/**
 * No lock at all: read the count, check it, insert, add one — in a transaction, which is not
 * enough. Concurrent requests read the same count and all pass the check. The lab's negative
 * control: the over-issuance test must fail on it.
 */
export const createUnsafe: StrategyFactory = (deps) => ({
  name: 'unsafe',
  protection: 'none',
  uses: ['mysql'],
  lockWaits: 'none',
  asynchronous: false,
  card: {
    steps: ['begin a transaction', 'read the issued count', 'check it against the quantity', 'insert the row, add one, commit'],
    needs: 'MySQL',
    pitfall: 'Concurrent requests read the same count and all pass the check: it over-issues under any crowd. The negative control.',
  },
  issue: (request) => transactionalIssue(deps, request, { strategy: 'unsafe' }),
});
