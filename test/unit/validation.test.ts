import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../src/core/errors.js';
import {
  parseCouponChange,
  parseCouponId,
  parseIssueBody,
  parseNewCoupon,
  parsePathStrategy,
  parseQueryStrategy,
  parseStrategy,
} from '../../src/server/validation.js';
import { STRATEGY_NAMES } from '../../src/strategies/names.js';

/** The message of the InvalidRequestError that `parse` throws; fails the test if it throws nothing else. */
function refusal(parse: () => unknown): string {
  try {
    parse();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidRequestError);
    return (error as InvalidRequestError).message;
  }
  throw new Error('accepted what it should refuse');
}

describe('parseNewCoupon', () => {
  it('fills in the defaults: no discount, no minimum, an open window', () => {
    expect(parseNewCoupon({ title: ' Spring sale ', totalQuantity: 100 })).toEqual({
      title: 'Spring sale',
      totalQuantity: 100,
      discountAmount: 0,
      minAvailableAmount: 0,
      issueStartAt: null,
      issueEndAt: null,
    });
  });

  it('reads the window as instants, whatever the offset', () => {
    const coupon = parseNewCoupon({ title: 't', totalQuantity: 1, issueStartAt: '2030-01-01T10:00:00+02:00', issueEndAt: '2030-01-01T09:00:00Z' });
    expect(coupon.issueStartAt).toEqual(new Date('2030-01-01T08:00:00Z'));
    expect(coupon.issueEndAt).toEqual(new Date('2030-01-01T09:00:00Z'));
  });

  it('refuses a missing body, showing one with the fields it needs', () => {
    const message = refusal(() => parseNewCoupon(undefined));
    expect(message).toMatch(/^body: missing; send a JSON object such as \{/);
    expect(message).toContain('"title"');
    expect(message).toContain('"totalQuantity"');
  });

  it.each([
    ['a zero quantity', { title: 't', totalQuantity: 0 }, 'body.totalQuantity'],
    ['a fractional quantity', { title: 't', totalQuantity: 1.5 }, 'body.totalQuantity'],
    ['a quantity as a string', { title: 't', totalQuantity: '10' }, 'body.totalQuantity'],
    ['a blank title', { title: '   ', totalQuantity: 1 }, 'body.title'],
    ['a negative discount', { title: 't', totalQuantity: 1, discountAmount: -1 }, 'body.discountAmount'],
    ['an unknown field', { title: 't', totalQuantity: 1, totalQty: 5 }, 'totalQty'],
    ['a date without an offset', { title: 't', totalQuantity: 1, issueStartAt: '2030-01-01T10:00:00' }, 'body.issueStartAt'],
    ['a date past MySQL DATETIME', { title: 't', totalQuantity: 1, issueEndAt: '+010000-01-01T00:00:00Z' }, 'body.issueEndAt'],
    ['a date before year 1000', { title: 't', totalQuantity: 1, issueStartAt: '0999-12-31T23:59:59Z' }, 'body.issueStartAt'],
    [
      'a window that ends as it starts',
      { title: 't', totalQuantity: 1, issueStartAt: '2030-01-01T10:00:00Z', issueEndAt: '2030-01-01T10:00:00Z' },
      'body.issueEndAt',
    ],
  ])('refuses %s', (_what, body, where) => {
    expect(refusal(() => parseNewCoupon(body))).toContain(where);
  });
});

describe('parseCouponChange', () => {
  it('keeps only what it changes: absent is unchanged, null removes a bound', () => {
    expect(parseCouponChange({ totalQuantity: 8 })).toEqual({ totalQuantity: 8 });
    expect(parseCouponChange({ issueEndAt: null })).toEqual({ issueEndAt: null });
  });

  it('refuses no body, a change of nothing, and a misspelt field rather than ignoring it', () => {
    expect(refusal(() => parseCouponChange({}))).toMatch(/must change at least one/);
    expect(refusal(() => parseCouponChange(undefined))).toMatch(/^body: missing; send a JSON object such as \{/);
    expect(refusal(() => parseCouponChange({ totalQty: 8 }))).toContain('totalQty');
  });
});

describe('parseCouponId', () => {
  it('takes a path segment that is a positive whole number, exact in JavaScript', () => {
    expect(parseCouponId('42')).toBe(42);
    expect(parseCouponId(String(Number.MAX_SAFE_INTEGER))).toBe(Number.MAX_SAFE_INTEGER);
  });

  it.each(['0', '-1', '007', '1.5', '1e3', 'abc', '', '9007199254740992', '99999999999999999'])('refuses %j', (segment) => {
    expect(refusal(() => parseCouponId(segment))).toMatch(/^couponId: /);
  });
});

describe('parseIssueBody', () => {
  it('takes a positive whole userId', () => {
    expect(parseIssueBody({ userId: 7 })).toEqual({ userId: 7 });
  });

  it.each([[undefined], [{}], [{ userId: 0 }], [{ userId: '7' }], [{ userId: 2 ** 53 }]])('refuses %j', (body) => {
    expect(refusal(() => parseIssueBody(body))).toContain('body');
  });
});

describe('parseStrategy, parseQueryStrategy, parsePathStrategy', () => {
  it('takes a strategy name, or the fallback when the query names none', () => {
    expect(parseStrategy('record-lock')).toBe('record-lock');
    expect(parseQueryStrategy('record-lock', 'lua')).toBe('record-lock');
    expect(parseQueryStrategy(undefined, 'lua')).toBe('lua');
    expect(parsePathStrategy('optimistic', undefined)).toBe('optimistic');
  });

  it('refuses an unknown name, listing the ones there are', () => {
    expect(refusal(() => parseStrategy('semaphore'))).toBe(`strategy: unknown; choose one of ${STRATEGY_NAMES.join(', ')}`);
  });

  it('refuses two strategies in the query, and one in the query beside one in the path', () => {
    expect(refusal(() => parseQueryStrategy(['lua', 'lua'], 'lua'))).toBe('strategy: give one strategy, not 2');
    expect(refusal(() => parsePathStrategy('lua', 'lua'))).toMatch(/^strategy: named in the path \(lua\)/);
  });
});
