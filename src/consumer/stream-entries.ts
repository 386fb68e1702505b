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

/** Checks the fields issue.lua writes (coupon, user, at); anything else is a bad entry to park. */
export function parseEntry(entry: RawEntry): IssueEntry | undefined {
  const value: Record<string, string> = {};
  for (let i = 0; i + 1 < entry.fields.length; i += 2) value[entry.fields[i]!] = entry.fields[i + 1]!;
  const { coupon, user, at } = value;
  if (!coupon || !user || !at) return undefined;
  if (![coupon, user, at].every((field) => POSITIVE_SAFE_INTEGER.test(field))) return undefined;
  const ids = [Number(coupon), Number(user)];
  if (!ids.every(Number.isSafeInteger)) return undefined;
  return { ...entry, couponId: ids[0]!, userId: ids[1]!, acceptedAt: new Date(Number(at)) };
}
