import type { IssueRequest } from '../core/coupon.js';
import { ServiceUnavailableError } from '../core/errors.js';
import { ACCEPTED, refused, type IssueResult, type StrategyFactory } from './issue-strategy.js';
import { Admission } from '../redis-scripts/replies.js';
import { termsLoader } from './lua/terms.js';

/**
 * One Redis Lua script decides each request atomically and appends accepted ones to a
 * stream; the request is answered 202 and the consumer writes MySQL later. No lock, no
 * MySQL on the request path: the script reads the coupon's terms from Redis. Redis is trusted
 * only once its requests set has been rebuilt from MySQL and the stream on the very server
 * that runs the script (see terms.ts); the consumer never writes more rows than the quantity.
 */
export const createLua: StrategyFactory = (deps) => {
  const loadOnce = termsLoader(deps);

  function admit({ couponId, userId }: IssueRequest): Promise<Admission> {
    const { keys } = deps;
    return deps.redis.admitIssue(keys.couponTerms(couponId), keys.couponRequests(couponId), keys.couponStream(couponId), userId, Date.now(), couponId);
  }

  return {
    name: 'lua',
    protection: 'global',
    uses: ['redis', 'mysql'],
    lockWaits: 'none',
    asynchronous: true,
    card: {
      steps: [
        'one Lua script checks the place and the user in Redis, atomically',
        "appends the request to the coupon's stream; answer 202",
        'the consumer writes the stream to MySQL in batches',
        'never more rows than the quantity: anything past it is revoked, visibly',
      ],
      needs: 'Redis (append-only), MySQL, a consumer',
      pitfall: 'MySQL lags the answers until the stream is drained; a Redis without persistence that restarts loses what it accepted and no consumer had read.',
    },
    async issue(request): Promise<IssueResult> {
      let admission = await admit(request);
      if (admission === Admission.TERMS_MISSING || admission === Admission.UNVERIFIED) {
        if (!(await loadOnce(request.couponId))) return refused('COUPON_NOT_FOUND');
        admission = await admit(request);
      }
      switch (admission) {
        case Admission.ACCEPTED:
          return ACCEPTED;
        case Admission.ALREADY_ISSUED:
          return refused('ALREADY_ISSUED');
        case Admission.SOLD_OUT:
          return refused('COUPON_SOLD_OUT');
        case Admission.NOT_IN_WINDOW:
          return refused('COUPON_NOT_IN_ISSUE_WINDOW');
        case Admission.TERMS_MISSING:
        case Admission.UNVERIFIED:
          // Lost or replaced right after loading: Redis is not keeping what it is given, or
          // restarted again meanwhile.
          throw new ServiceUnavailableError('redis', new Error(`terms of coupon ${request.couponId} were lost right after loading`));
        default:
          throw new Error(`lua: issue.lua answered ${String(admission)}, which no Admission names`);
      }
    },
  };
};
