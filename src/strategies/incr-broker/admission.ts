import { isInIssueWindow, type IssueRequest, type IssueTerms, type Refusal } from '../../core/coupon.js';
import { ServiceUnavailableError } from '../../core/errors.js';
import { refused, type IssueResult, type StrategyDeps } from '../issue-strategy.js';
import { termsLoader } from '../lua/terms.js';

type AdmissionDeps = Pick<StrategyDeps, 'db' | 'redis' | 'keys'>;

/** A place counted for the request, with the entry its consumer will write; or the answer (a refusal). */
export type CountAdmission = { outcome: 'counted'; fields: string[] } | IssueResult;

/**
 * The course's admission, one Redis command after another, none of them atomic with the next:
 * `SADD applied` (already there: refused), then `INCR count` (over the quantity: sold out). Liberties
 * that do not touch the hand-off: the answers follow the lab's rules (the window first; a user who
 * applied before is told sold out once no place is left, as the other strategies tell them), and a
 * request refused as sold out takes its increment and its user back, so that the count stays the
 * number of places held (a place given back is then taken again) and a user turned away may ask again. The coupon's terms are read where the lua path keeps them (lua/terms.ts), brought up to date
 * by every change of the coupon.
 */
export function countAdmission(deps: AdmissionDeps) {
  const loadOnce = termsLoader(deps, 'terms-only');

  async function terms(couponId: number): Promise<IssueTerms | undefined> {
    const read = await readTerms(deps, couponId);
    if (read) return read;
    if (!(await loadOnce(couponId))) return undefined;
    const loaded = await readTerms(deps, couponId);
    if (!loaded) throw new ServiceUnavailableError('redis', new Error(`terms of coupon ${couponId} were lost right after loading`));
    return loaded;
  }

  /** A user who applied before: the lab's rules say sold out first, when no place is left, then already issued. */
  async function repeatRefusal(couponId: number, total: number): Promise<Refusal> {
    const held = Number(await deps.redis.get(deps.keys.couponCount(couponId)));
    return held >= total ? 'COUPON_SOLD_OUT' : 'ALREADY_ISSUED';
  }

  return async function admit({ couponId, userId }: IssueRequest): Promise<CountAdmission> {
    const { redis, keys } = deps;
    const coupon = await terms(couponId);
    const now = Date.now();
    if (!coupon) return refused('COUPON_NOT_FOUND');
    if (!isInIssueWindow(coupon, new Date(now))) return refused('COUPON_NOT_IN_ISSUE_WINDOW');
    if ((await redis.sadd(keys.couponApplied(couponId), userId)) === 0) return refused(await repeatRefusal(couponId, coupon.totalQuantity));
    const count = await redis.incr(keys.couponCount(couponId));
    if (count > coupon.totalQuantity) {
      await giveBack(deps, { couponId, userId });
      return refused('COUPON_SOLD_OUT');
    }
    const fields = ['coupon', String(couponId), 'user', String(userId), 'at', String(now), 'total', String(coupon.totalQuantity)];
    return { outcome: 'counted', fields };
  };
}

/** Takes the request's place and its user back: the count falls by one, and the user may apply again. */
export async function giveBack({ redis, keys }: AdmissionDeps, { couponId, userId }: IssueRequest): Promise<void> {
  const replies = await redis.multi().decr(keys.couponCount(couponId)).srem(keys.couponApplied(couponId), userId).exec();
  // EXEC answers each command's error in place rather than failing as a whole.
  const failed = replies?.find(([error]) => error)?.[0];
  if (failed) throw failed;
}

async function readTerms({ redis, keys }: AdmissionDeps, couponId: number): Promise<IssueTerms | undefined> {
  const [total, start, end] = await redis.hmget(keys.couponTerms(couponId), 'total', 'start', 'end');
  if (total == null) return undefined;
  const at = (ms: string | null | undefined) => (ms ? new Date(Number(ms)) : null);
  return { totalQuantity: Number(total), issueStartAt: at(start), issueEndAt: at(end) };
}
