import { homeBucket } from '../src/strategies/lua-buckets/layout.js';
import type { CrowdKind } from './report.js';

/**
 * The n-th user of a crowd of this kind: for `skewed`, the n-th id whose lua-buckets home is
 * bucket 0 of `buckets` (ids found as they are asked for, in order); undefined for `uniform`,
 * whose n-th user is n.
 */
export function crowdUserIds(kind: CrowdKind | undefined, buckets: number): ((n: number) => number) | undefined {
  if (kind !== 'skewed') return undefined;
  const ids: number[] = [];
  let next = 1;
  return (n) => {
    for (; ids.length < n; next++) if (homeBucket(next, buckets) === 0) ids.push(next);
    return ids[n - 1]!;
  };
}
