import { describe, expect, it } from 'vitest';
import { handOffGap } from '../../bench/faults/scenario.js';
import type { HandOff, IssueStrategy } from '../../src/strategies/index.js';
import type { Answers } from '../../lab-client/tally.js';
import { expectedVerdict, judge, worstVerdict, type Verdict } from '../../lab-client/verdict.js';

const QUANTITY = 100;
/** What MySQL held: exactly the quantity, nothing wrong. */
const exact = { rows: QUANTITY, overIssued: 0, duplicated: 0, lost: 0, revoked: 0 };
const answers = (soldOut: number): Answers => ({ success: QUANTITY, soldOut, alreadyIssued: 0, errors: {} });

describe('judge: what MySQL holds against what the crowd was told', () => {
  it('is EXACT when every promise is kept and the quantity with it', () => {
    expect(judge(exact, QUANTITY, answers(900))).toBe('EXACT');
  });

  it('names each fault by itself', () => {
    expect(judge({ ...exact, lost: 1 }, QUANTITY, answers(900))).toBe('LOST');
    expect(judge({ ...exact, duplicated: 1 }, QUANTITY, answers(900))).toBe('DUPLICATED');
    expect(judge({ ...exact, rows: 118, overIssued: 18 }, QUANTITY, answers(882))).toBe('OVER-ISSUED');
    expect(judge({ ...exact, rows: 99, revoked: 1 }, QUANTITY, answers(900))).toBe('REVOKED');
  });

  it('is UNDER-ISSUED when some were told "sold out" while coupons remained', () => {
    expect(judge({ ...exact, rows: 99 }, QUANTITY, answers(1))).toBe('UNDER-ISSUED');
  });

  it('is EXACT with coupons left when nobody was turned away (a crowd smaller than the quantity)', () => {
    expect(judge({ ...exact, rows: 40 }, QUANTITY, answers(0))).toBe('EXACT');
  });

  it('names the worst when several happened: lost, duplicated, over-issued, revoked, then under-issued', () => {
    const everything = { rows: 120, overIssued: 20, duplicated: 1, lost: 1, revoked: 1 };
    expect(judge(everything, QUANTITY, answers(1))).toBe('LOST');
    expect(judge({ ...everything, lost: 0 }, QUANTITY, answers(1))).toBe('DUPLICATED');
    expect(judge({ ...everything, lost: 0, duplicated: 0 }, QUANTITY, answers(1))).toBe('OVER-ISSUED');
    expect(judge({ ...exact, rows: 98, revoked: 1 }, QUANTITY, answers(1))).toBe('REVOKED');
  });
});

describe('worstVerdict', () => {
  it('orders them EXACT < UNDER-ISSUED < REVOKED < OVER-ISSUED < DUPLICATED < LOST', () => {
    const order: Verdict[] = ['EXACT', 'UNDER-ISSUED', 'REVOKED', 'OVER-ISSUED', 'DUPLICATED', 'LOST'];
    for (const [i, better] of order.entries()) {
      for (const worse of order.slice(i)) {
        expect(worstVerdict([worse, better]), `${better} vs ${worse}`).toBe(worse);
        expect(worstVerdict([better, worse]), `${worse} vs ${better}`).toBe(worse);
      }
    }
  });

  it('is EXACT for no verdict at all', () => {
    expect(worstVerdict([])).toBe('EXACT');
  });
});

describe('expectedVerdict: what each protection should show', () => {
  it('expects no protection to over-issue, with one process or several', () => {
    expect(expectedVerdict('none', 1, true)).toBe('OVER-ISSUED');
    expect(expectedVerdict('none', 4, true)).toBe('OVER-ISSUED');
  });

  it('expects in-process protection to hold in one process only', () => {
    expect(expectedVerdict('process', 1, true)).toBe('EXACT');
    expect(expectedVerdict('process', 2, true)).toBe('OVER-ISSUED');
  });

  it('expects a lease, fault-free or global protection to hold across processes (when nothing fails)', () => {
    for (const protection of ['lease', 'fault-free', 'global'] as const) expect(expectedVerdict(protection, 4, true)).toBe('EXACT');
  });

  it('expects EXACT from everything when the crowd cannot sell the coupon out', () => {
    for (const protection of ['none', 'process', 'lease', 'fault-free', 'global'] as const) expect(expectedVerdict(protection, 2, false)).toBe('EXACT');
  });
});

describe('handOffGap: what a failure between the count and the publish may show', () => {
  const strategy = (handOff?: HandOff) => ({ protection: 'fault-free', asynchronous: true, ...(handOff ? { handOff } : {}) }) as IssueStrategy;

  it('lets the strategy that answers before the confirm lose requests told yes, and strand places', () => {
    expect(handOffGap(strategy('answer-first'))).toEqual(['LOST', 'UNDER-ISSUED', 'REVOKED']);
  });

  it('never lets the one that answers after the confirm lose a request told yes', () => {
    expect(handOffGap(strategy('confirm-first'))).not.toContain('LOST');
    expect(handOffGap(strategy('confirm-first'))).toContain('UNDER-ISSUED');
  });

  it('allows a strategy with no hand-off between two stores nothing it does not show anyway', () => {
    expect(handOffGap({ ...strategy(), protection: 'global' })).toEqual([]);
  });
});
