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
 * Checks an entry is what issue.lua writes — exactly `coupon <id> user <id> at <ms>`, in that
 * order — with positive safe integers for values. Anything else is a bad entry to park.
 * Runs for every entry, so it reads the fields in place rather than building a map.
 */
export function parseEntry(entry: RawEntry): IssueEntry | undefined {
  const [couponKey, coupon, userKey, user, atKey, at] = entry.fields;
  if (entry.fields.length !== 6 || couponKey !== 'coupon' || userKey !== 'user' || atKey !== 'at') return undefined;
  const [couponId, userId, acceptedAt] = [coupon, user, at].map(positiveSafeInteger);
  if (!couponId || !userId || !acceptedAt || acceptedAt > LATEST_DATETIME_MS) return undefined;
  return { stream: entry.stream, id: entry.id, fields: entry.fields, couponId, userId, acceptedAt: new Date(acceptedAt) };
}

function positiveSafeInteger(text: string | undefined): number | undefined {
  if (text === undefined || !POSITIVE_SAFE_INTEGER.test(text)) return undefined;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : undefined;
}
