import { LockTimeoutError } from '../core/errors.js';
import { isMysqlContention, isMysqlLostRace, MYSQL_ERRNO, mysqlErrno } from '../core/mysql-errors.js';
import { refused, type IssueResult, type StrategyDeps } from './issue-strategy.js';

const LOST_RACE_TRIES = 3;

/**
 * Runs one issue in a transaction, with what every synchronous strategy answers the same way:
 * the unique key is the last word on "one per user" (a second insert for a user fails, the
 * transaction rolls back, the answer is ALREADY_ISSUED); a race MySQL refused (a deadlock, a
 * stale snapshot's write) is run again; contention MySQL gave up on, or a race lost every time,
 * is LOCK_TIMEOUT, which the client may try again.
 *
 * `connection`: one already taken from the pool to run the transaction on (named-lock's, which
 * holds its lock).
 */
export async function inIssueTransaction<T>(
  deps: Pick<StrategyDeps, 'db'>,
  strategy: string,
  work: (trx: StrategyDeps['db']) => Promise<T>,
  connection?: unknown,
): Promise<T | IssueResult> {
  const startedAt = Date.now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await deps.db.transaction(work, { connection });
    } catch (error) {
      if (mysqlErrno(error) === MYSQL_ERRNO.DUPLICATE_ENTRY) return refused('ALREADY_ISSUED');
      if (isMysqlLostRace(error) && attempt < LOST_RACE_TRIES) continue;
      if (isMysqlContention(error)) throw new LockTimeoutError(strategy, Date.now() - startedAt);
      throw error;
    }
  }
}
