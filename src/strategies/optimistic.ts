import { setTimeout as sleep } from 'node:timers/promises';
import { checkCoupon, type IssueRequest } from '../core/coupon.js';
import { findCouponAtVersion, insertIssue, takePlaceAtVersion } from '../core/coupon-repository.js';
import { ContendedError } from '../core/errors.js';
import { ISSUED, refused, type IssueResult, type StrategyDeps, type StrategyFactory } from './issue-strategy.js';
import { inTransaction } from './issue-transaction.js';

/** The pause after the first lost race; it doubles with each loss, up to the cap, jittered. */
const BACKOFF_MS = 2;
const BACKOFF_CAP_MS = 50;

/**
 * An optimistic lock: read the coupon and its issue version without any lock, decide, then take
 * the place only if the version is still the one read (compare-and-set), moving it on. A request
 * that lost the race reads again after a jittered, growing pause, for up to LOCK_WAIT_MS, then
 * gives up with CONTENDED. Each lost race means another request took a place, so a crowd for a
 * small coupon sells it out; what it costs is the retries, which grow with the crowd, and their
 * tail. The version is a column of its own, issue_version: `version` counts changes to the
 * coupon's terms, which the lua path's copies follow.
 */
export const createOptimistic: StrategyFactory = (deps) => ({
  name: 'optimistic',
  protection: 'global',
  uses: ['mysql'],
  lockWaits: 'none',
  asynchronous: false,
  card: {
    steps: [
      'read the coupon and its issue version, no lock',
      'decide',
      'UPDATE … WHERE issue_version = the one read (compare-and-set)',
      'lost the race: wait a little, read again, up to LOCK_WAIT_MS',
    ],
    needs: 'MySQL alone; a version column',
    pitfall: 'Under a crowd most attempts lose: the cost is retries and their tail, and CONTENDED (503) once the wait runs out.',
  },
  async issue(request): Promise<IssueResult> {
    const startedAt = Date.now();
    for (let attempt = 1; ; attempt++) {
      const outcome = await attemptOnce(deps, request);
      if (outcome !== 'lost') return outcome;
      const backoff = Math.min(BACKOFF_CAP_MS, BACKOFF_MS * 2 ** (attempt - 1));
      const pause = backoff / 2 + Math.random() * (backoff / 2);
      if (Date.now() - startedAt + pause > deps.config.LOCK_WAIT_MS) throw new ContendedError('optimistic', attempt, Date.now() - startedAt);
      deps.observer.retried('optimistic');
      await sleep(pause);
    }
  },
});

/**
 * One read, decide, compare-and-set, on one connection: the answer, or 'lost' if another
 * request changed the row between the read and the write. The read takes no lock, and a read
 * on another connection than the write would add a wait for the pool between them, which a
 * crowd fills with other requests' writes.
 */
function attemptOnce(deps: StrategyDeps, { couponId, userId }: IssueRequest): Promise<IssueResult | 'lost'> {
  return inTransaction(deps, 'optimistic', async (trx): Promise<IssueResult | 'lost'> => {
    const read = await findCouponAtVersion(trx, couponId);
    const now = new Date();
    // Whether the user holds one is the unique key's to say, at the insert.
    const refusal = checkCoupon(read?.coupon, read?.coupon.issuedQuantity ?? 0, now);
    if (refusal || !read) return refused(refusal ?? 'COUPON_NOT_FOUND');
    if (!(await takePlaceAtVersion(trx, couponId, read.issueVersion))) return 'lost';
    await insertIssue(trx, couponId, userId, now);
    return ISSUED;
  });
}
