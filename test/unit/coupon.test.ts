import { describe, expect, it } from 'vitest';
import { checkIssue, isInIssueWindow, isValidWindow, type IssueTerms } from '../../src/core/coupon.js';

const at = (iso: string) => new Date(iso);
const START = at('2030-01-01T10:00:00.000Z');
const END = at('2030-01-01T12:00:00.000Z');
const open: IssueTerms = { totalQuantity: 10, issueStartAt: null, issueEndAt: null };
const windowed: IssueTerms = { totalQuantity: 10, issueStartAt: START, issueEndAt: END };
const fresh = { issuedQuantity: 0, alreadyHeld: false };

describe('checkIssue', () => {
  it('issues while the coupon exists, is in its window, unheld by the user and not sold out', () => {
    expect(checkIssue(open, fresh, at('2030-01-01T00:00:00Z'))).toBeUndefined();
    expect(checkIssue(windowed, { issuedQuantity: 9, alreadyHeld: false }, START)).toBeUndefined();
  });

  it('refuses a coupon that does not exist', () => {
    expect(checkIssue(undefined, fresh, START)).toBe('COUPON_NOT_FOUND');
  });

  it('refuses outside the window', () => {
    expect(checkIssue(windowed, fresh, at('2030-01-01T09:59:59.999Z'))).toBe('COUPON_NOT_IN_ISSUE_WINDOW');
    expect(checkIssue(windowed, fresh, END)).toBe('COUPON_NOT_IN_ISSUE_WINDOW');
  });

  it('refuses a user who holds one', () => {
    expect(checkIssue(open, { issuedQuantity: 3, alreadyHeld: true }, START)).toBe('ALREADY_ISSUED');
  });

  it('refuses once the quantity is issued, or more than it (an over-issued coupon stays sold out)', () => {
    expect(checkIssue(open, { issuedQuantity: 10, alreadyHeld: false }, START)).toBe('COUPON_SOLD_OUT');
    expect(checkIssue(open, { issuedQuantity: 11, alreadyHeld: false }, START)).toBe('COUPON_SOLD_OUT');
  });

  // issue.lua applies the rules in the same order; a request that breaks several gets the first.
  it("applies the coupon's rules first, window then quantity, and the user's last", () => {
    const everything = { issuedQuantity: 10, alreadyHeld: true };
    expect(checkIssue(windowed, everything, END)).toBe('COUPON_NOT_IN_ISSUE_WINDOW');
    expect(checkIssue(windowed, everything, START)).toBe('COUPON_SOLD_OUT');
    expect(checkIssue(windowed, { issuedQuantity: 0, alreadyHeld: true }, START)).toBe('ALREADY_ISSUED');
  });
});

describe('isInIssueWindow', () => {
  it('is half-open: the start is in, the end is out', () => {
    expect(isInIssueWindow(windowed, START)).toBe(true);
    expect(isInIssueWindow(windowed, at('2030-01-01T11:59:59.999Z'))).toBe(true);
    expect(isInIssueWindow(windowed, END)).toBe(false);
    expect(isInIssueWindow(windowed, at('2030-01-01T09:59:59.999Z'))).toBe(false);
  });

  it('treats a missing bound as open on that side', () => {
    expect(isInIssueWindow({ issueStartAt: START, issueEndAt: null }, at('2999-01-01T00:00:00Z'))).toBe(true);
    expect(isInIssueWindow({ issueStartAt: START, issueEndAt: null }, at('2029-12-31T00:00:00Z'))).toBe(false);
    expect(isInIssueWindow({ issueStartAt: null, issueEndAt: END }, at('1970-01-01T00:00:00Z'))).toBe(true);
    expect(isInIssueWindow({ issueStartAt: null, issueEndAt: END }, END)).toBe(false);
  });
});

describe('isValidWindow', () => {
  it('wants a window with both bounds to end after it starts', () => {
    expect(isValidWindow(windowed)).toBe(true);
    expect(isValidWindow({ issueStartAt: START, issueEndAt: START })).toBe(false);
    expect(isValidWindow({ issueStartAt: END, issueEndAt: START })).toBe(false);
  });

  it('accepts any window with an open bound', () => {
    expect(isValidWindow({ issueStartAt: null, issueEndAt: null })).toBe(true);
    expect(isValidWindow({ issueStartAt: END, issueEndAt: null })).toBe(true);
    expect(isValidWindow({ issueStartAt: null, issueEndAt: START })).toBe(true);
  });
});
