import { z } from 'zod';
import type { NewCoupon } from '../core/coupon.js';
import { InvalidRequestError } from '../core/errors.js';
import { isStrategyName, STRATEGY_NAMES, type StrategyName } from '../strategies/index.js';

/** Ids are BIGINT in MySQL but must also be exact in JavaScript: 1 … 2^53 − 1. */
const id = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const idInPath = z
  .string()
  .regex(/^[1-9]\d{0,15}$/, 'must be a positive whole number')
  .transform(Number)
  .pipe(id);
const amount = z.number().int().min(0).max(2_000_000_000).default(0);
const instant = z.iso
  .datetime({ offset: true })
  .transform((text) => new Date(text))
  .nullish()
  .transform((value) => value ?? null);

const newCouponSchema = z
  .object({
    title: z.string().trim().min(1).max(255),
    totalQuantity: z.number().int().positive().max(1_000_000_000),
    discountAmount: amount,
    minAvailableAmount: amount,
    issueStartAt: instant,
    issueEndAt: instant,
  })
  .refine((c) => !c.issueStartAt || !c.issueEndAt || c.issueEndAt > c.issueStartAt, {
    message: 'must be later than issueStartAt',
    path: ['issueEndAt'],
  });

const issueBodySchema = z.object({ userId: id });

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const where = issue.path.length ? `${what}.${issue.path.join('.')}` : what;
    return `${where}: ${issue.message}`;
  });
  throw new InvalidRequestError(problems.join('; '));
}

export function parseNewCoupon(body: unknown): NewCoupon {
  return parse(newCouponSchema, body ?? {}, 'body');
}

export function parseCouponId(value: unknown): number {
  return parse(idInPath, value, 'couponId');
}

export function parseIssueBody(body: unknown): { userId: number } {
  return parse(issueBodySchema, body ?? {}, 'body');
}

export function parseStrategy(value: unknown, fallback: StrategyName): StrategyName {
  if (value === undefined) return fallback;
  if (typeof value === 'string' && isStrategyName(value)) return value;
  throw new InvalidRequestError(`strategy: unknown; choose one of ${STRATEGY_NAMES.join(', ')}`);
}
