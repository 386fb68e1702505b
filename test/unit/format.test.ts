import { describe, expect, it } from 'vitest';
import { describeCrowd, describeRepeat } from '../../bench/output/describe-settings.js';
import { ms, plural } from '../../bench/output/format.js';
import type { BenchSettings } from '../../bench/report.js';

describe('ms', () => {
  it.each([
    [1, '1'],
    [9, '9'],
    [28, '28'],
    [100, '100'],
    [1.5, '1.5'],
    [2.346, '2.35'],
    [12.34, '12.3'],
    [1_234.5, '1,235'],
    [undefined, '-'],
  ])('writes %s ms as %s: no zeros that say nothing', (n, text) => {
    expect(ms(n)).toBe(text);
  });
});

describe('plural', () => {
  it.each([
    [1, 'process', '1 process'],
    [2, 'process', '2 processes'],
    [1, 'run', '1 run'],
    [3, 'run', '3 runs'],
    [1_000, 'place', '1,000 places'],
  ])('writes %i %s as %s', (n, noun, text) => {
    expect(plural(n, noun)).toBe(text);
  });
});

describe("the bench's settings in words", () => {
  const settings = { users: 1_000, requestsPerUser: 1, quantity: 100 } as BenchSettings;

  it('speak of one coupon and its places, not of coupons', () => {
    expect(describeCrowd(settings)).toBe('1,000 users × 1 request for a coupon of 100 places');
    expect(describeCrowd({ ...settings, durationS: 5 })).toBe('5 s of fresh users');
  });

  it('speak of medians only when there are several runs', () => {
    expect(describeRepeat(1)).toBe('1 run each');
    expect(describeRepeat(3)).toBe('3 runs each (medians)');
  });
});
