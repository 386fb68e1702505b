import type { BenchSettings } from '../report.js';
import { int, plural } from './format.js';

/**
 * What a bench sent, as its table and HTML page head it: `1,000 users × 1 request for a coupon of
 * 100 places` (one coupon, whose quantity is how many users can get it), or `5 s of fresh users`.
 */
export function describeCrowd(s: BenchSettings): string {
  if (s.durationS) return `${s.durationS} s of fresh users`;
  return `${int(s.users)} users × ${plural(s.requestsPerUser, 'request')} for a coupon of ${plural(s.quantity, 'place')}`;
}

/** `1 run each`, `3 runs each (medians)`. */
export function describeRepeat(repeat: number): string {
  return `${plural(repeat, 'run')} each${repeat > 1 ? ' (medians)' : ''}`;
}
