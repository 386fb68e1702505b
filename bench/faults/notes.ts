import { int, plural } from '../output/format.js';

/**
 * Rows beyond the yes answers, said beside the figures (`300/300` rows for 299 yes): a request
 * whose answer was cut off (its server killed mid-request) or failed after its write was issued
 * all the same, which the counts alone leave unexplained.
 */
export function rowsBeyondYes(rows: number, yes: number, unanswered: number): string | undefined {
  const extra = rows - yes;
  if (extra <= 0) return undefined;
  const requests = extra === 1 ? 'a request' : 'requests';
  return `${plural(extra, 'row')} beyond the ${int(yes)} yes answers: issued for ${requests} whose answer was cut off (${int(unanswered)} got none) or was an error`;
}
