import type { IssueRequest } from '../core/coupon.js';
import { LeaseExpiredError } from '../core/errors.js';
import type { IssueResult, StrategyDeps } from './issue-strategy.js';
import type { StrategyName } from './names.js';
import { lockWait } from './observed.js';
import { transactionalIssue } from './issue-transaction.js';

/** Time left on a lease below which a transaction is rolled back rather than committed. */
export const COMMIT_MARGIN_MS = 100;

/**
 * The check a lease-based lock makes just before commit: a lease taken at `takenAt`
 * (performance.now() before the command that took it was sent, so the local deadline is never
 * later than Redis's, and a wall clock set back cannot stretch it)
 * that has less than COMMIT_MARGIN_MS left may be another holder's lock by the time the commit
 * lands, so the transaction is rolled back with LEASE_EXPIRED. Not a fence: a commit slower
 * than the margin, or a pause after the check, still lets a second holder in.
 */
function leaseCheck(strategy: string, takenAt: number, leaseMs: number): () => void {
  return () => {
    if (performance.now() > takenAt + leaseMs - COMMIT_MARGIN_MS) throw new LeaseExpiredError(strategy, leaseMs);
  };
}

/** A lock held for at most a lease: taken (resolving to when, on performance.now()), then released by its owner. */
export interface LeasedLock {
  acquire(): Promise<number>;
  release(): Promise<unknown>;
}

/**
 * The issue under a lease-based lock: the wait for it measured, the transaction checked against
 * the lease before commit, the lock released however the transaction ended.
 */
export async function issueUnderLease(deps: StrategyDeps, request: IssueRequest, strategy: StrategyName, lock: LeasedLock): Promise<IssueResult> {
  const acquired = lockWait(deps.observer, strategy);
  const takenAt = await lock.acquire();
  acquired();
  try {
    return await transactionalIssue(deps, request, { strategy, beforeCommit: leaseCheck(strategy, takenAt, deps.config.LOCK_LEASE_MS) });
  } finally {
    await lock.release().catch((error: unknown) => {
      deps.log.warn({ couponId: request.couponId, error }, `${strategy}: release failed; the lock is free again when its lease runs out`);
    });
  }
}
