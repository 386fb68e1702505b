import { setTimeout as sleep } from 'node:timers/promises';
import { checkCoupon, type IssueRequest } from '../core/coupon.js';
import { findCoupon, insertIssue, addIssued } from '../core/coupon-repository.js';
import { LockTimeoutError } from '../core/errors.js';
import { isMysqlContention, isMysqlLostRace, MYSQL_ERRNO, mysqlErrno } from '../core/mysql-errors.js';
import { lockWait } from './observed.js';
import { ISSUED, refused, type IssueResult, type StrategyDeps } from './issue-strategy.js';

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
export async function inTransaction<T>(
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

export interface TransactionalIssueOptions {
  /** Named in a LockTimeoutError if MySQL gives up waiting for a row lock. */
  strategy: string;
  /** Read the coupon with SELECT … FOR UPDATE, holding its row lock until commit. */
  lockCouponRow?: boolean;
  /**
   * Runs first inside the transaction, before anything is read (fenced-lock writes its token
   * here); throwing rolls the transaction back.
   */
  enter?: (trx: StrategyDeps['db']) => Promise<void>;
  /**
   * Wraps the read-and-decide step *inside* the transaction, so whatever it holds is released
   * before the writes and the commit — as with JPA, which flushes at commit, after a
   * `synchronized` block inside `@Transactional` has ended. Only `mutex-in-tx` uses it, to
   * show why that is wrong.
   */
  aroundDecision?: <T>(decide: () => Promise<T>) => Promise<T>;
  /** A connection already taken from the pool (named-lock's, which holds its lock), to run the transaction on. */
  connection?: unknown;
  /** Runs after the writes, just before the commit; throwing rolls the transaction back. */
  beforeCommit?: () => void;
}

/**
 * The synchronous issue, shared by every strategy that writes MySQL before answering:
 * read the coupon, apply the rules, count and insert the row — in one transaction.
 * What makes it safe (or not) is what the caller holds around it.
 */
export function transactionalIssue(deps: StrategyDeps, request: IssueRequest, options: TransactionalIssueOptions): Promise<IssueResult> {
  return inTransaction(
    deps,
    options.strategy,
    async (trx) => {
      await options.enter?.(trx);
      return readDecideWrite(trx, deps, request, options);
    },
    options.connection,
  );
}

async function readDecideWrite(
  trx: StrategyDeps['db'],
  { config: { THINK_MS: thinkMs }, observer }: StrategyDeps,
  { couponId, userId }: IssueRequest,
  options: TransactionalIssueOptions,
): Promise<IssueResult> {
  const decide = async () => {
    // With the row lock, the wait for it is the time the FOR UPDATE read takes.
    const locked = options.lockCouponRow ? lockWait(observer, options.strategy) : undefined;
    const coupon = await findCoupon(trx, couponId, { forUpdate: options.lockCouponRow ?? false });
    locked?.();
    // No lookup of the user's row: it would ask what the insert's unique key answers anyway,
    // for one more round trip with the row lock held.
    const refusal = checkCoupon(coupon, coupon?.issuedQuantity ?? 0, new Date());
    if (!refusal && thinkMs > 0) await sleep(thinkMs);
    return refusal;
  };
  const refusal = await (options.aroundDecision ? options.aroundDecision(decide) : decide());
  if (refusal) return refused(refusal);
  // Count first, then insert: the insert's foreign-key check takes a shared lock on the coupon
  // row, and upgrading that to the UPDATE's exclusive lock deadlocks under concurrency.
  await addIssued(trx, couponId, 1);
  await insertIssue(trx, couponId, userId, new Date());
  options.beforeCommit?.();
  return ISSUED;
}
