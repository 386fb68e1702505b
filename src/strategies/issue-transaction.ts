import { LockTimeoutError } from '../core/errors.js';
import { isMysqlContention, MYSQL_ERRNO, mysqlErrno } from '../core/mysql-errors.js';
import { refused, type IssueResult, type StrategyDeps } from './issue-strategy.js';

const DEADLOCK_RETRIES = 3;

/**
 * Runs one issue in a transaction, with what every synchronous strategy answers the same way:
 * the unique key is the last word on "one per user" (a second insert for a user fails, the
 * transaction rolls back, the answer is ALREADY_ISSUED); a deadlock is retried; contention MySQL
 * gave up on, or that kept deadlocking, is LOCK_TIMEOUT, which the client may try again.
 */
export async function inIssueTransaction<T>(
  deps: Pick<StrategyDeps, 'db'>,
  strategy: string,
  work: (trx: StrategyDeps['db']) => Promise<T>,
): Promise<T | IssueResult> {
  const startedAt = Date.now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await deps.db.transaction(work);
    } catch (error) {
      if (mysqlErrno(error) === MYSQL_ERRNO.DUPLICATE_ENTRY) return refused('ALREADY_ISSUED');
      if (mysqlErrno(error) === MYSQL_ERRNO.DEADLOCK && attempt < DEADLOCK_RETRIES) continue;
      if (isMysqlContention(error)) throw new LockTimeoutError(strategy, Date.now() - startedAt);
      throw error;
    }
  }
}
