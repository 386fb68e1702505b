/**
 * Every Redis key the strategies and the consumer use, built in one place. Per-coupon keys carry
 * the coupon id as a hash tag (`{42}`), so that a script's keys share one slot, as Redis Cluster
 * requires; a prefix lets two labs share one Redis.
 *
 * A place where requests are admitted (terms, requests set, stream) is named by its tag: a lua
 * coupon's is its id (`42`); each bucket of a lua-buckets coupon has a tag of its own
 * (`42:b3:17`: coupon 42, bucket 3, and a salt that steers its slot), so that its keys share a
 * slot of their own, on whichever master serves it.
 */
export function redisKeys(prefix: string) {
  const tagged = (tag: AdmissionTag) => `${prefix}coupon:{${tag}}`;
  const coupon = tagged;
  const streamPattern = new RegExp(`^${escapeRegExp(prefix)}coupon:\\{([^}]+)\\}:issues$`);
  return {
    /** Hash of what the lua path needs to judge a request: total, start, end; v, their coupon version; run, see issue.lua. */
    couponTerms: (id: number) => `${coupon(id)}:terms`,
    /** Set of users whose request the lua path accepted. */
    couponRequests: (id: number) => `${coupon(id)}:requests`,
    /** Stream of accepted requests the consumer has not yet written to MySQL. */
    couponStream: (id: number) => `${coupon(id)}:issues`,
    /** The broker strategies' counter of places taken (INCR), as the course teaches it. */
    couponCount: (id: number) => `${coupon(id)}:count`,
    /** The broker strategies' set of users who applied (SADD): a second request of theirs is refused. */
    couponApplied: (id: number) => `${coupon(id)}:applied`,
    /** The terms hash of a place requests are admitted at, by its tag (a bucket's: see bucket-issue.lua). */
    termsOf: (tag: AdmissionTag) => `${tagged(tag)}:terms`,
    /** Its set of admitted users. */
    requestsOf: (tag: AdmissionTag) => `${tagged(tag)}:requests`,
    /** Its stream of accepted requests. */
    streamOf: (tag: AdmissionTag) => `${tagged(tag)}:issues`,
    /** The tag of a stream's key, if it is one of the streams above. */
    tagOfStream: (stream: string): string | undefined => streamPattern.exec(stream)?.[1],
    /** A bucket's tag: coupon, bucket, and the salt chosen for its slot (lua-buckets/layout.ts). */
    bucketTag: (id: number, bucket: number, salt: number) => `${id}:b${bucket}:${salt}`,
    /** Hash of a bucket's places sent to another bucket and not yet known to have arrived: id → "to places generation at". */
    bucketTransfers: (tag: string) => `${tagged(tag)}:transfers`,
    /** Set of the transfers a bucket has been credited with in its generation, so that none is credited twice. */
    bucketCredited: (tag: string) => `${tagged(tag)}:credited`,
    /** Hash of how a lua-buckets coupon is split: count, the number of buckets it keeps for life. */
    couponBuckets: (id: number) => `${coupon(id)}:buckets`,
    /** The redis-lock strategy's lock. */
    couponLock: (id: number) => `${coupon(id)}:lock`,
    /** The fenced-lock strategy's lock. */
    couponFencedLock: (id: number) => `${coupon(id)}:fenced-lock`,
    /** A lock of a strategy's own, named after it (`…:spin-lock`); the name ends in lock, as couponLockPattern expects. */
    couponLockOf: (id: number, strategy: `${string}lock`) => `${coupon(id)}:${strategy}`,
    /** A pattern (KEYS, SCAN) matching every lock any strategy takes for a coupon. */
    couponLockPattern: (id: number) => `${coupon(id)}:*lock`,
    /** The fenced-lock strategy's counter: the last fencing token it handed out. */
    couponFence: (id: number) => `${coupon(id)}:fence`,
    /** Set of the tags whose stream the consumer reads (a lua coupon's id, a bucket's tag). */
    streamRegistry: `${prefix}issue-streams`,
    /** Stream of entries the consumer could not write, for an operator to look at. */
    parked: `${prefix}parked-issues`,
  };
}

export type RedisKeys = ReturnType<typeof redisKeys>;

/** A lua coupon's id, or a bucket's tag (`42:b3:17`). */
export type AdmissionTag = number | string;

/** The coupon a tag belongs to: the number before its first colon. */
export function couponOfTag(tag: string): number {
  return Number(tag.split(':', 1)[0]);
}

/** A bucket's tag, not a lua coupon's: its admissions are counted against the bucket's share. */
export function isBucketTag(tag: string): boolean {
  return tag.includes(':');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
