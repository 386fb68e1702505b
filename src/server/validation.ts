import { z } from 'zod';
import { isValidWindow, type CouponChange, type NewCoupon } from '../core/coupon.js';
import { InvalidRequestError } from '../core/errors.js';
import { isStrategyName, STRATEGY_NAMES, type StrategyName } from '../strategies/names.js';

// Whole numbers: the range is checked first and, when it fails, alone (`abort`): past 2^53 − 1,
// `.int()` would report "too big" a second time in other words.
/** Ids are BIGINT in MySQL but must also be exact in JavaScript: 1 … 2^53 − 1. */
const id = z.number().positive().max(Number.MAX_SAFE_INTEGER, { abort: true }).int();
const idInPath = z
  .string()
  .regex(/^[1-9]\d{0,15}$/, 'must be a positive whole number')
  .transform(Number)
  .pipe(id);
const title = z.string().trim().min(1).max(255);
const quantity = z.number().positive().max(1_000_000_000, { abort: true }).int();
const amount = z.number().min(0).max(2_000_000_000, { abort: true }).int();
/**
 * MySQL's DATETIME range, in UTC once the offset is applied. Outside it MySQL refuses the value
 * (year 10000), or mysql2 reads it back as another year (0001 as 2001, 0050 as 1950).
 */
const DATE_RANGE = { min: new Date('1000-01-01T00:00:00.000Z'), max: new Date('9999-12-31T23:59:59.999Z') };
const date = z.iso
  .datetime({ offset: true })
  .transform((text) => new Date(text))
  .refine((value) => value >= DATE_RANGE.min && value <= DATE_RANGE.max, {
    message: `must be from ${DATE_RANGE.min.toISOString()} to ${DATE_RANGE.max.toISOString()} in UTC`,
  });
const instant = date.nullish().transform((value) => value ?? null);

const newCouponSchema = z
  .strictObject({
    title,
    totalQuantity: quantity,
    discountAmount: amount.default(0),
    minAvailableAmount: amount.default(0),
    issueStartAt: instant,
    issueEndAt: instant,
  })
  .refine(isValidWindow, { message: 'must be later than issueStartAt', path: ['issueEndAt'] });

/**
 * A change names only what it changes: absent keeps the stored value, `null` removes a bound.
 * Strict, so a misspelt field (`totalQty`) is refused rather than silently changing nothing.
 * The window is checked by the service, against the stored coupon the change is merged into.
 */
const couponChangeSchema = z
  .strictObject({
    title: title.optional(),
    totalQuantity: quantity.optional(),
    discountAmount: amount.optional(),
    minAvailableAmount: amount.optional(),
    issueStartAt: date.nullable().optional(),
    issueEndAt: date.nullable().optional(),
  })
  .refine((change) => Object.values(change).some((value) => value !== undefined), {
    message: `must change at least one of title, totalQuantity, discountAmount, minAvailableAmount, issueStartAt, issueEndAt`,
  });

/** Strict as the coupon bodies are: a misspelt `userID` is named, not taken for a missing one. */
const issueBodySchema = z.strictObject({ userId: id });

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const where = issue.path.length ? `${what}.${issue.path.join('.')}` : what;
    return `${where}: ${issue.message}`;
  });
  throw new InvalidRequestError(problems.join('; '));
}

/**
 * A body is a JSON object before it is anything else: a missing body or one of `null` is told
 * that, rather than that each of its fields is missing. `example` shows what to send.
 */
function parseBody<T>(schema: z.ZodType<T>, body: unknown, example: string): T {
  if (body === undefined) throw new InvalidRequestError(`body: missing; send a JSON object such as ${example}`);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    const kind = body === null ? 'null' : Array.isArray(body) ? 'an array' : `a ${typeof body}`;
    throw new InvalidRequestError(`body: must be a JSON object such as ${example}, not ${kind}`);
  }
  return parse(schema, body, 'body');
}

export function parseNewCoupon(body: unknown): NewCoupon {
  return parseBody(newCouponSchema, body, '{"title": "Launch week", "totalQuantity": 100}');
}

export function parseCouponChange(body: unknown): CouponChange {
  return parseBody(couponChangeSchema, body, '{"totalQuantity": 200}');
}

export function parseCouponId(value: unknown): number {
  return parse(idInPath, value, 'couponId');
}

export function parseIssueBody(body: unknown): { userId: number } {
  return parseBody(issueBodySchema, body, '{"userId": 42}');
}

export function parseStrategy(value: string): StrategyName {
  if (isStrategyName(value)) return value;
  throw new InvalidRequestError(`strategy: unknown; choose one of ${STRATEGY_NAMES.join(', ')}`);
}

/** `?strategy=`, or the fallback when the query names none. */
export function parseQueryStrategy(value: unknown, fallback: StrategyName): StrategyName {
  if (value === undefined) return fallback;
  if (Array.isArray(value)) throw new InvalidRequestError(`strategy: give one strategy, not ${value.length}`);
  if (typeof value !== 'string') throw new InvalidRequestError(`strategy: must be one name, such as ${fallback}`);
  return parseStrategy(value);
}

/** A path that names the strategy takes none in the query: one of the two would be ignored. */
export function parsePathStrategy(value: string, query: unknown): StrategyName {
  const strategy = parseStrategy(value);
  if (query !== undefined) throw new InvalidRequestError(`strategy: named in the path (${strategy}); leave out ?strategy=`);
  return strategy;
}
