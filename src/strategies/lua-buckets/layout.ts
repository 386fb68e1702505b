import calculateSlot from 'cluster-key-slot';
import type { RedisKeys } from '../../core/redis-keys.js';

/** Redis Cluster's slots: a key's is CRC16 of its hash tag modulo this. */
const SLOTS = 16_384;

/** The keys of one bucket, all under its own hash tag, so one slot, so one master. */
export interface Bucket {
  index: number;
  tag: string;
  terms: string;
  requests: string;
  stream: string;
  transfers: string;
  credited: string;
}

/** How one coupon is split: the count it keeps for life, and each bucket's keys. */
export interface Layout {
  couponId: number;
  buckets: readonly Bucket[];
  /** The lab's keys it was made from (the registry of streams among them). */
  keys: RedisKeys;
}

/**
 * Bucket `b` of `count` gets the tag `<coupon>:b<b>:<salt>` with the smallest salt whose slot
 * falls in the b-th of `count` equal ranges of slots. A plain `{42:b3}` lands wherever CRC16
 * sends it: three such buckets fall on three different masters of three about one time in
 * five. `redis-cli --cluster create` gives each master an equal run of slots, so equal ranges put
 * the buckets over the masters as evenly as their count allows, for any coupon id; one Redis
 * ignores the tags. About `count` CRC16s per bucket, once per coupon and process.
 */
export function bucketLayout(keys: RedisKeys, couponId: number, count: number): Layout {
  const buckets = Array.from({ length: count }, (_, index) => {
    const from = Math.round((index * SLOTS) / count);
    const to = Math.round(((index + 1) * SLOTS) / count);
    let salt = 0;
    while (!inRange(calculateSlot(keys.bucketTag(couponId, index, salt)), from, to)) salt++;
    const tag = keys.bucketTag(couponId, index, salt);
    return {
      index,
      tag,
      terms: keys.termsOf(tag),
      requests: keys.requestsOf(tag),
      stream: keys.streamOf(tag),
      transfers: keys.bucketTransfers(tag),
      credited: keys.bucketCredited(tag),
    };
  });
  return { couponId, buckets, keys };
}

function inRange(slot: number, from: number, to: number): boolean {
  return slot >= from && slot < to;
}

/**
 * A user's home bucket, where alone they are admitted: a hash of the id, so that neighbouring ids
 * (a crowd of 1, 2, 3, …) and ids with a common stride spread alike. Both halves of an id up to
 * 2^53 are mixed in (murmur3's finaliser).
 */
export function homeBucket(userId: number, count: number): number {
  const low = userId >>> 0;
  const high = Math.floor(userId / 2 ** 32) >>> 0;
  return mix((low ^ mix(high + 0x9e3779b9)) >>> 0) % count;
}

function mix(value: number): number {
  let x = value;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}
