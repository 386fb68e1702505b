import { describe, expect, it } from 'vitest';
import { parseEntry, type RawEntry } from '../../src/core/issue-stream/entries.js';

const entry = (...fields: string[]): RawEntry => ({ stream: 'coupon-lab:coupon:{42}:issues', id: '1700000000000-0', fields });
const AT = '1893456000000'; // 2030-01-01T00:00:00Z

describe('parseEntry: a stream entry as issue.lua writes it', () => {
  it('reads `coupon <id> user <id> at <ms> total <n>`', () => {
    expect(parseEntry(entry('coupon', '42', 'user', '7', 'at', AT, 'total', '100'))).toEqual({
      ...entry('coupon', '42', 'user', '7', 'at', AT, 'total', '100'),
      couponId: 42,
      userId: 7,
      acceptedAt: new Date('2030-01-01T00:00:00Z'),
      admittedTotal: 100,
    });
  });

  it('reads an entry written before `total` existed, without it', () => {
    const parsed = parseEntry(entry('coupon', '42', 'user', '7', 'at', AT));
    expect(parsed).toMatchObject({ couponId: 42, userId: 7 });
    expect(parsed?.admittedTotal).toBeUndefined();
  });

  it('takes ids up to 2^53 − 1, and the last instant a MySQL DATETIME holds', () => {
    const max = String(Number.MAX_SAFE_INTEGER);
    const last = String(Date.UTC(9999, 11, 31, 23, 59, 59, 999));
    expect(parseEntry(entry('coupon', max, 'user', max, 'at', last))).toMatchObject({ couponId: Number.MAX_SAFE_INTEGER, userId: Number.MAX_SAFE_INTEGER });
  });

  it.each([
    ['fields in another order', ['user', '7', 'coupon', '42', 'at', AT]],
    ['a misnamed field', ['coupon', '42', 'usr', '7', 'at', AT]],
    ['a missing field', ['coupon', '42', 'user', '7']],
    ['an extra field', ['coupon', '42', 'user', '7', 'at', AT, 'total', '100', 'x', '1']],
    ['a seventh field', ['coupon', '42', 'user', '7', 'at', AT, 'total']],
    ['an eighth field that is not total', ['coupon', '42', 'user', '7', 'at', AT, 'totl', '100']],
    ['a zero id', ['coupon', '0', 'user', '7', 'at', AT]],
    ['a negative id', ['coupon', '42', 'user', '-7', 'at', AT]],
    ['a leading zero', ['coupon', '042', 'user', '7', 'at', AT]],
    ['a fraction', ['coupon', '42', 'user', '7.5', 'at', AT]],
    ['an id past 2^53 − 1', ['coupon', '9007199254740992', 'user', '7', 'at', AT]],
    ['a word for a number', ['coupon', 'forty-two', 'user', '7', 'at', AT]],
    ['a time past year 9999', ['coupon', '42', 'user', '7', 'at', String(Date.UTC(10000, 0, 1))]],
    ['a zero total', ['coupon', '42', 'user', '7', 'at', AT, 'total', '0']],
    ['no fields', []],
  ])('refuses %s, to be parked', (_what, fields) => {
    expect(parseEntry(entry(...fields))).toBeUndefined();
  });
});
