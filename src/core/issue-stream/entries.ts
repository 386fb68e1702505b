/** An entry as read from a coupon's stream, before it is trusted. */
export interface RawEntry {
  stream: string;
  id: string;
  fields: string[];
}

/** An entry whose fields parsed: one accepted request to write. */
export interface IssueEntry extends RawEntry {
  couponId: number;
  userId: number;
  acceptedAt: Date;
  /**
   * The coupon's quantity when the request was admitted: the most rows the coupon may hold
   * once this one is written. Absent in entries written before the field existed.
   */
  admittedTotal: number | undefined;
}

type XEntries = [id: string, fields: string[]][];

/** XREADGROUP answers [[stream, entries], …], or null when nothing arrived in time. */
export function fromReadReply(reply: unknown): RawEntry[] {
  if (!Array.isArray(reply)) return [];
  return (reply as [string, XEntries][]).flatMap(([stream, entries]) => fromEntries(stream, entries));
}

/** XAUTOCLAIM answers [next start, entries, deleted ids], or null when there was no group. */
export function fromClaimReply(stream: string, reply: unknown): RawEntry[] {
  if (!Array.isArray(reply)) return [];
  return fromEntries(stream, reply[1] as XEntries);
}

/** An entry deleted meanwhile comes back from XAUTOCLAIM with null fields and is skipped. */
function fromEntries(stream: string, entries: XEntries): RawEntry[] {
  return entries.filter(([, fields]) => Array.isArray(fields)).map(([id, fields]) => ({ stream, id, fields }));
}

const POSITIVE_SAFE_INTEGER = /^[1-9]\d{0,15}$/;
/** The last instant a MySQL DATETIME holds. */
const LATEST_DATETIME_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/**
 * Checks an entry is what issue.lua writes — exactly `coupon <id> user <id> at <ms> total <n>`,
 * in that order (or without `total`, as written before it existed) — with positive safe
 * integers for values. Anything else is a bad entry to park. Runs for every entry, so it reads
 * the fields in place rather than building a map, and names the entry's fields in the result
 * rather than spreading the entry, which took most of the parse's time.
 */
export function parseEntry({ stream, id, fields }: RawEntry): IssueEntry | undefined {
  const [couponKey, coupon, userKey, user, atKey, at, totalKey, total] = fields;
  if (couponKey !== 'coupon' || userKey !== 'user' || atKey !== 'at') return undefined;
  if (fields.length !== 6 && (fields.length !== 8 || totalKey !== 'total')) return undefined;
  const couponId = positiveSafeInteger(coupon);
  const userId = positiveSafeInteger(user);
  const acceptedAt = positiveSafeInteger(at);
  if (!couponId || !userId || !acceptedAt || acceptedAt > LATEST_DATETIME_MS) return undefined;
  const admittedTotal = total === undefined ? undefined : positiveSafeInteger(total);
  if (total !== undefined && !admittedTotal) return undefined;
  return { stream, id, fields, couponId, userId, acceptedAt: new Date(acceptedAt), admittedTotal };
}

function positiveSafeInteger(text: string | undefined): number | undefined {
  if (text === undefined || !POSITIVE_SAFE_INTEGER.test(text)) return undefined;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : undefined;
}
