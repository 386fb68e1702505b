import type { Db } from '../src/core/db.js';
import type { Protection } from '../src/strategies/issue-strategy.js';
import type { Answers } from './tally.js';

/**
 * What MySQL holds against what the crowd was told, the worst that applies: the one vocabulary of
 * the bench, the demo, the load test and the fault bench.
 * LOST: told yes, no row, nothing recorded. DUPLICATED: a user holds two. OVER-ISSUED: more rows
 * than the quantity. REVOKED: told yes, then revoked, visibly (coupon_revocations). UNDER-ISSUED:
 * told sold out while coupons remained. EXACT: none of these. A coupon that simply did not sell
 * out (the crowd stopped first) is EXACT.
 */
export type Verdict = 'EXACT' | 'UNDER-ISSUED' | 'REVOKED' | 'OVER-ISSUED' | 'DUPLICATED' | 'LOST';

export interface Verification {
  /** Rows in coupon_issues for the coupon. */
  rows: number;
  overIssued: number;
  /** Users holding more than one row. */
  duplicated: number;
  /** Users answered 201/202 who hold no row, and whose acceptance was not revoked either. */
  lost: number;
  /** Users answered 202 whose acceptance the consumer revoked: no place was left for them. */
  revoked: number;
  verdict: Verdict;
}

/** Counts what MySQL holds for the coupon and judges it against what the crowd was told. */
export async function verifyCoupon(db: Db, couponId: number, quantity: number, answers: Answers, successfulUsers: readonly number[]): Promise<Verification> {
  const held = await db('coupon_issues').where({ coupon_id: couponId }).select('user_id');
  const perUser = new Map<number, number>();
  for (const { user_id } of held as { user_id: number }[]) perUser.set(Number(user_id), (perUser.get(Number(user_id)) ?? 0) + 1);
  const revokedUsers = new Set((await db('coupon_revocations').where({ coupon_id: couponId }).pluck('user_id')).map(Number));
  const rows = held.length;
  const duplicated = [...perUser.values()].filter((count) => count > 1).length;
  const unheld = new Set(successfulUsers.filter((user) => !perUser.has(user)));
  const revoked = [...unheld].filter((user) => revokedUsers.has(user)).length;
  const lost = unheld.size - revoked;
  const overIssued = Math.max(0, rows - quantity);
  const found = { rows, overIssued, duplicated, lost, revoked };
  return { ...found, verdict: judge(found, quantity, answers) };
}

/**
 * The worst thing that happened, in this order: a promise broken silently, the quantity broken,
 * a promise broken visibly (revoked), customers turned away from coupons that remained.
 */
export function judge(found: Omit<Verification, 'verdict'>, quantity: number, answers: Answers): Verdict {
  if (found.lost > 0) return 'LOST';
  if (found.duplicated > 0) return 'DUPLICATED';
  if (found.overIssued > 0) return 'OVER-ISSUED';
  if (found.revoked > 0) return 'REVOKED';
  // "Sold out" while coupons remain: the crowd was turned away from what was still there.
  if (answers.soldOut > 0 && found.rows < quantity) return 'UNDER-ISSUED';
  return 'EXACT';
}

/**
 * What a strategy should show: no protection over-issues, in-process protection over-issues
 * across processes — but only once the coupon can sell out at all.
 */
export function expectedVerdict(protection: Protection, instances: number, canSellOut: boolean): Verdict {
  if (!canSellOut) return 'EXACT';
  if (protection === 'none' || (protection === 'process' && instances > 1)) return 'OVER-ISSUED';
  return 'EXACT';
}

const SEVERITY: Verdict[] = ['EXACT', 'UNDER-ISSUED', 'REVOKED', 'OVER-ISSUED', 'DUPLICATED', 'LOST'];

export function worstVerdict(verdicts: Verdict[]): Verdict {
  return verdicts.reduce((worst, v) => (SEVERITY.indexOf(v) > SEVERITY.indexOf(worst) ? v : worst), 'EXACT');
}

/** The run behind a verdict: the worst one, and of those the most over-issued. */
export function worstRun<Run extends Pick<Verification, 'verdict' | 'overIssued'>>(runs: readonly Run[]): Run | undefined {
  const rank = (run: Run) => SEVERITY.indexOf(run.verdict) * 1e9 + run.overIssued;
  return runs.reduce<Run | undefined>((worst, run) => (!worst || rank(run) > rank(worst) ? run : worst), undefined);
}

/**
 * Whether a verdict is what may be shown where `expected` was expected: a strategy meant to be exact
 * must be; one expected to over-issue fails nothing, whatever it showed (the race may be missed).
 */
export function meetsExpectation(expected: Verdict, verdict: Verdict): boolean {
  return expected === 'EXACT' ? verdict === 'EXACT' : true;
}

/** The verdict with the figure behind it: `OVER-ISSUED by 17`, `LOST 3`, `EXACT`. */
export function verdictWithFigure(found: Verification): string {
  const n = (count: number) => count.toLocaleString('en-US');
  const figure: Partial<Record<Verdict, string>> = {
    'OVER-ISSUED': `by ${n(found.overIssued)}`,
    LOST: n(found.lost),
    DUPLICATED: n(found.duplicated),
    REVOKED: n(found.revoked),
  };
  return [found.verdict, figure[found.verdict]].filter(Boolean).join(' ');
}
