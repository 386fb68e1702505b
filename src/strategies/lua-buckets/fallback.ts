import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { registerStream } from '../../core/issue-stream/registry.js';
import type { Redis } from '../../core/redis.js';
import { BucketState } from '../../redis-scripts/replies.js';
import type { Bucket, Layout } from './layout.js';

/**
 * A request whose home bucket has no place left must not be told "sold out" while another bucket
 * still has one: it looks at every other bucket, takes half of the free places of the one with
 * the most (bucket-take.lua), and has them credited to its home bucket, where it is admitted as
 * any other (bucket-issue.lua), so that "this user already asked" is only ever asked of one slot.
 *
 * Each step crosses slots and can be interrupted (docs/strategies.md has the table):
 * - after the take: the places are recorded at the donor as on their way; a request that looks
 *   later and finds the record older than TRANSFER_GRACE_MS completes the transfer itself, and
 *   until then no request is told sold out (the record counts as places). None is lost, none is
 *   credited twice: the home bucket remembers every transfer it was credited with.
 * - after the credit: the places are at home, for whoever asks there; the donor's record only
 *   goes with the last step, and a completion that finds it credited already only deletes it.
 * - a split voids every transfer of the generation before it and counts its places again.
 */

/** A transfer older than this whose sender has not completed it is completed by whoever finds it. */
export const TRANSFER_GRACE_MS = 500;

/** What a transfer's id starts with: the process that sent it, so that one left behind says whose it was. */
const SENDER = `${hostname()}:${process.pid}:`;

/** Places sent from one bucket to another, in one generation. */
export interface Transfer {
  id: string;
  from: number;
  to: number;
  places: number;
  generation: number;
}

/** One bucket as bucket-look.lua read it; in-flight transfers of its generation with it. */
export interface Look {
  bucket: number;
  state: BucketState;
  generation: number;
  ver: number;
  free: number;
  soldOut: boolean;
  sealedAt: number;
  sending: (Transfer & { at: number })[];
}

/** What to do next: take what a transfer brought, answer sold out, or look again (after a pause if `wait`). */
export type Next =
  | { kind: 'transfer'; transfer: Transfer }
  | { kind: 'sold-out' }
  | { kind: 'available' }
  | { kind: 'again'; wait: boolean }
  | { kind: 'reload' }
  | { kind: 'sealed'; sealedAt: number };

export async function look(redis: Redis, bucket: Bucket): Promise<Look> {
  const [state, generation = 0, ver = 0, free = 0, soldOut = 0, sealedAt = 0, ...rest] = (await redis.lookAtBucket(
    bucket.terms,
    bucket.requests,
    bucket.transfers,
  )) as number[];
  const sending: Look['sending'] = [];
  for (let i = 0; i + 3 < rest.length; i += 4) {
    sending.push({ id: String(rest[i]), from: bucket.index, to: rest[i + 1]!, places: rest[i + 2]!, generation, at: rest[i + 3]! });
  }
  return { bucket: bucket.index, state: state as BucketState, generation, ver, free, soldOut: soldOut === 1, sealedAt, sending };
}

/**
 * The look of a request whose home bucket was empty: where to take a place from, or, for a user
 * admitted there already (`member`), only whether any place is left, which decides between
 * ALREADY_ISSUED and SOLD_OUT. Home is looked at again with the others: places may have come
 * back to it, or be on their way from it, since it answered.
 */
export async function findPlace(redis: Redis, layout: Layout, home: number, member: boolean): Promise<Next> {
  const looks = await Promise.all(layout.buckets.map((bucket) => look(redis, bucket)));
  const pending = settled(looks);
  if (pending) return pending;
  if (looks[home]!.free > 0) return member ? { kind: 'available' } : { kind: 'again', wait: false };
  const donor = looks.reduce<Look | undefined>((best, look) => (look.free > (best?.free ?? 0) ? look : best), undefined);
  const sending = looks.flatMap((look) => look.sending);
  if (member) return donor || sending.length ? { kind: 'available' } : soldOutIfStill(redis, layout, looks);
  if (donor) return take(redis, layout.buckets[donor.bucket]!, looks[home]!);
  if (sending.length) return completeStale(redis, layout, sending);
  return soldOutIfStill(redis, layout, looks);
}

/** A bucket not ready, or buckets of different generations (a split under way), stop the look. */
function settled(looks: Look[]): Next | undefined {
  if (looks.some((look) => look.state === BucketState.TERMS_MISSING || look.state === BucketState.UNVERIFIED)) return { kind: 'reload' };
  const sealed = looks.find((look) => look.state === BucketState.SEALED);
  if (sealed) return { kind: 'sealed', sealedAt: sealed.sealedAt };
  if (looks.some((look) => look.generation !== looks[0]!.generation)) return { kind: 'again', wait: true };
  return undefined;
}

async function take(redis: Redis, donor: Bucket, home: Look): Promise<Next> {
  const id = `${SENDER}${randomBytes(6).toString('hex')}`;
  const places = await redis.takeFromBucket(donor.terms, donor.requests, donor.transfers, id, home.bucket, home.generation, Date.now());
  if (places === 0) return { kind: 'again', wait: false }; // taken by another meanwhile
  return { kind: 'transfer', transfer: { id, from: donor.index, to: home.bucket, places, generation: home.generation } };
}

/**
 * Places on their way and nowhere else free: their senders are completing them, or died. Those
 * older than the grace are completed here; for the others, a moment's wait.
 */
async function completeStale(redis: Redis, layout: Layout, sending: Look['sending']): Promise<Next> {
  const stale = sending.filter((transfer) => Date.now() - transfer.at > TRANSFER_GRACE_MS);
  await Promise.all(stale.map((transfer) => complete(redis, layout, transfer)));
  return { kind: 'again', wait: stale.length === 0 };
}

/** Credits a transfer to its bucket (once, whoever else does too), then settles it. */
export async function complete(redis: Redis, layout: Layout, transfer: Transfer): Promise<void> {
  const to = layout.buckets[transfer.to]!;
  await redis.admitAtBucket(to.terms, to.requests, to.stream, to.credited, '', Date.now(), layout.couponId, transfer.id, transfer.places, transfer.generation);
  await settle(redis, layout, transfer);
}

/**
 * After the receiver was credited: its stream is registered again (the consumer stops reading a
 * bucket once its own share is taken, and the places just credited may be admitted there), then
 * the sender's record goes.
 */
export async function settle(redis: Redis, layout: Layout, transfer: Transfer): Promise<void> {
  await registerStream(redis, layout.keys, layout.buckets[transfer.to]!.tag);
  await redis.hdel(layout.buckets[transfer.from]!.transfers, transfer.id);
}

/**
 * Sold out only if every bucket, read a second time after the first look ended, is as it was:
 * the same generation, the same count of credits (ver), no place free, none on its way. Places
 * only ever come into a bucket by a credit, and leave by a take or an admission: two reads with
 * no credit between them and both empty mean that, at an instant between the two passes, every
 * bucket was empty (a double collect). Then every bucket is marked, so that the requests after
 * this one are answered at home in one call.
 */
async function soldOutIfStill(redis: Redis, layout: Layout, first: Look[]): Promise<Next> {
  const second = await Promise.all(layout.buckets.map((bucket) => look(redis, bucket)));
  const same = second.every((look, i) => {
    const before = first[i]!;
    const unchanged = look.state === BucketState.ACTIVE && look.generation === before.generation && look.ver === before.ver;
    return unchanged && look.free <= 0 && look.sending.length === 0;
  });
  if (!same) return { kind: 'again', wait: false };
  await Promise.all(
    second.map((look) => redis.markBucketSoldOut(layout.buckets[look.bucket]!.terms, layout.buckets[look.bucket]!.requests, look.generation, look.ver)),
  );
  return { kind: 'sold-out' };
}
