/** A coupon as the domain sees it; `coupon-repository.ts` maps it to and from rows. */
export interface Coupon {
  id: number;
  title: string;
  totalQuantity: number;
  issuedQuantity: number;
  /** Requests the lua path accepted that found no place left when written (see coupon_revocations). */
  revokedQuantity: number;
  discountAmount: number;
  minAvailableAmount: number;
  issueStartAt: Date | null;
  issueEndAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewCoupon {
  title: string;
  totalQuantity: number;
  discountAmount: number;
  minAvailableAmount: number;
  issueStartAt: Date | null;
  issueEndAt: Date | null;
}

/** The fields a change may set; an absent field keeps its value, a `null` bound removes that bound. */
export type CouponChange = Partial<NewCoupon>;

export interface IssueRequest {
  couponId: number;
  userId: number;
}

/** Why a coupon was not issued: normal answers, not failures. */
export type Refusal = 'COUPON_NOT_FOUND' | 'COUPON_NOT_IN_ISSUE_WINDOW' | 'ALREADY_ISSUED' | 'COUPON_SOLD_OUT';

/** What a coupon needs to be judged; the lua path keeps exactly this in Redis. */
export type IssueTerms = Pick<Coupon, 'totalQuantity' | 'issueStartAt' | 'issueEndAt'>;

/**
 * The issue rules, written once, in the order they apply: first the coupon's own (it exists, now
 * is in its window, a place is left), the same for everyone who asks; then the user's (holds
 * none yet). So a user who holds one and asks again once the coupon is sold out is told it is
 * sold out, which is true, and a writer can leave the last rule to a unique key: an insert that
 * fails as a duplicate once the others have passed (see strategies/issue-transaction.ts). The Lua script
 * (`src/strategies/lua/issue.lua`) applies the same rules, in the same order, inside Redis.
 */
export function checkIssue(terms: IssueTerms | undefined, state: { issuedQuantity: number; alreadyHeld: boolean }, now: Date): Refusal | undefined {
  return checkCoupon(terms, state.issuedQuantity, now) ?? (state.alreadyHeld ? 'ALREADY_ISSUED' : undefined);
}

/** The rules about the coupon alone, which come before the user's. */
export function checkCoupon(terms: IssueTerms | undefined, issuedQuantity: number, now: Date): Refusal | undefined {
  if (!terms) return 'COUPON_NOT_FOUND';
  if (!isInIssueWindow(terms, now)) return 'COUPON_NOT_IN_ISSUE_WINDOW';
  if (issuedQuantity >= terms.totalQuantity) return 'COUPON_SOLD_OUT';
  return undefined;
}

/** The window is half-open: [issueStartAt, issueEndAt). */
export function isInIssueWindow(terms: Pick<IssueTerms, 'issueStartAt' | 'issueEndAt'>, now: Date): boolean {
  if (terms.issueStartAt && now < terms.issueStartAt) return false;
  if (terms.issueEndAt && now >= terms.issueEndAt) return false;
  return true;
}

/** A window with both bounds must end after it starts; an open bound always fits. */
export function isValidWindow(terms: Pick<IssueTerms, 'issueStartAt' | 'issueEndAt'>): boolean {
  return !terms.issueStartAt || !terms.issueEndAt || terms.issueEndAt > terms.issueStartAt;
}
