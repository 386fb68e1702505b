import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkIssue, type IssueTerms, type Refusal } from '../src/core/coupon.js';
import { silentLog } from '../src/core/log.js';
import { createRedis, deleteKeysWithPrefix, type Redis } from '../src/core/redis.js';
import { Admission, TermsWrite } from '../src/redis-scripts/replies.js';
import { defineScripts } from '../src/redis-scripts/scripts.js';
import { redisKeys } from '../src/core/redis-keys.js';
import { testConfig } from './support/config.js';

/**
 * The rules are written twice: `checkIssue` for the synchronous strategies, `issue.lua` for the
 * lua path. Both are run here over the same cases, on real Redis, the script's terms written as
 * the lab writes them (write-terms.lua, as a loader does) and its requests set holding the users
 * admitted before.
 */
const config = testConfig();
const keys = redisKeys(config.REDIS_KEY_PREFIX);
let redis: Redis;
beforeAll(() => {
  redis = defineScripts(createRedis(config.REDIS_URL, { autoPipelining: false, log: silentLog }));
});
afterAll(async () => {
  await deleteKeysWithPrefix(redis, config.REDIS_KEY_PREFIX);
  redis.disconnect();
});

const START = Date.UTC(2030, 0, 1, 9);
const END = Date.UTC(2030, 0, 1, 10);
const USER = 7;

interface Case {
  /** Undefined: the coupon does not exist (in Redis, its terms were never written). */
  terms?: { total: number; start?: number; end?: number };
  /** Users admitted before this request; the user asking is among them when `held`. */
  issued: number;
  held: boolean;
  now: number;
  expected: Refusal | 'ISSUED';
}

const open = { total: 3, start: START, end: END };
const cases: Record<string, Case> = {
  'inside the window': { terms: open, issued: 0, held: false, now: START + 1_000, expected: 'ISSUED' },
  'exactly at the start': { terms: open, issued: 0, held: false, now: START, expected: 'ISSUED' },
  'just before the start': { terms: open, issued: 0, held: false, now: START - 1, expected: 'COUPON_NOT_IN_ISSUE_WINDOW' },
  'just before the end': { terms: open, issued: 0, held: false, now: END - 1, expected: 'ISSUED' },
  'exactly at the end': { terms: open, issued: 0, held: false, now: END, expected: 'COUPON_NOT_IN_ISSUE_WINDOW' },
  'just after the end': { terms: open, issued: 0, held: false, now: END + 1, expected: 'COUPON_NOT_IN_ISSUE_WINDOW' },
  'no window at all': { terms: { total: 3 }, issued: 0, held: false, now: 0, expected: 'ISSUED' },
  'only a start, long after it': { terms: { total: 3, start: START }, issued: 0, held: false, now: END * 2, expected: 'ISSUED' },
  'only an end, just before it': { terms: { total: 3, end: END }, issued: 0, held: false, now: END - 1, expected: 'ISSUED' },
  'only an end, exactly at it': { terms: { total: 3, end: END }, issued: 0, held: false, now: END, expected: 'COUPON_NOT_IN_ISSUE_WINDOW' },
  'the last place': { terms: open, issued: 2, held: false, now: START, expected: 'ISSUED' },
  'sold out': { terms: open, issued: 3, held: false, now: START, expected: 'COUPON_SOLD_OUT' },
  'more issued than a lowered quantity': { terms: { ...open, total: 2 }, issued: 3, held: false, now: START, expected: 'COUPON_SOLD_OUT' },
  'already held': { terms: open, issued: 1, held: true, now: START, expected: 'ALREADY_ISSUED' },
  'already held, places left': { terms: open, issued: 2, held: true, now: START, expected: 'ALREADY_ISSUED' },
  'sold out and already held': { terms: open, issued: 3, held: true, now: START, expected: 'COUPON_SOLD_OUT' },
  'already held, outside the window': { terms: open, issued: 1, held: true, now: END, expected: 'COUPON_NOT_IN_ISSUE_WINDOW' },
  'sold out, outside the window': { terms: open, issued: 3, held: false, now: START - 1, expected: 'COUPON_NOT_IN_ISSUE_WINDOW' },
  'missing terms': { issued: 0, held: false, now: START, expected: 'COUPON_NOT_FOUND' },
};

/** What the lua strategy makes of each answer of the script (lua.ts). */
const ANSWERS: Partial<Record<Admission, Refusal | 'ISSUED'>> = {
  [Admission.ACCEPTED]: 'ISSUED',
  [Admission.ALREADY_ISSUED]: 'ALREADY_ISSUED',
  [Admission.SOLD_OUT]: 'COUPON_SOLD_OUT',
  [Admission.NOT_IN_WINDOW]: 'COUPON_NOT_IN_ISSUE_WINDOW',
  // The strategy then loads the coupon from MySQL, and answers this when it is not there.
  [Admission.TERMS_MISSING]: 'COUPON_NOT_FOUND',
};

function byCheckIssue({ terms, issued, held, now }: Case): Refusal | 'ISSUED' {
  const domainTerms: IssueTerms | undefined = terms && {
    totalQuantity: terms.total,
    issueStartAt: terms.start === undefined ? null : new Date(terms.start),
    issueEndAt: terms.end === undefined ? null : new Date(terms.end),
  };
  return checkIssue(domainTerms, { issuedQuantity: issued, alreadyHeld: held }, new Date(now)) ?? 'ISSUED';
}

let nextCouponId = 1;

/** The Redis server's run id, which issue.lua finds in terms it trusts (see write-terms.lua). */
async function runId(): Promise<string> {
  return /run_id:(\w+)/.exec(await redis.info('server'))![1]!;
}

async function byIssueLua({ terms, issued, held, now }: Case): Promise<string> {
  const couponId = nextCouponId++;
  if (terms) {
    const written = await redis.writeTerms(keys.couponTerms(couponId), 'load', 1, terms.total, terms.start ?? '', terms.end ?? '', await runId());
    expect(written).toBe(TermsWrite.WRITTEN);
  }
  const others = Array.from({ length: held ? issued - 1 : issued }, (_, i) => 1_000 + i);
  const admitted = held ? [USER, ...others] : others;
  if (admitted.length > 0) await redis.sadd(keys.couponRequests(couponId), ...admitted);
  const admission = await redis.admitIssue(keys.couponTerms(couponId), keys.couponRequests(couponId), keys.couponStream(couponId), USER, now, couponId);
  return ANSWERS[admission] ?? Admission[admission];
}

describe('checkIssue and issue.lua give the same answer', () => {
  it.each(Object.entries(cases))('%s', async (_case, issueCase) => {
    const answers = { checkIssue: byCheckIssue(issueCase), issueLua: await byIssueLua(issueCase) };
    expect(answers).toEqual({ checkIssue: issueCase.expected, issueLua: issueCase.expected });
  });
});
