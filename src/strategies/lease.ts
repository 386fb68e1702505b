import { LeaseExpiredError } from '../core/errors.js';

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
export function leaseCheck(strategy: string, takenAt: number, leaseMs: number): () => void {
  return () => {
    if (performance.now() > takenAt + leaseMs - COMMIT_MARGIN_MS) throw new LeaseExpiredError(strategy, leaseMs);
  };
}
