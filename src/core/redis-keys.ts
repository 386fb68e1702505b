/**
 * Every Redis key the strategies and the consumer use, built in one place. Per-coupon keys carry
 * the coupon id as a hash tag (`{42}`), so that a script's keys share one slot, as Redis Cluster
 * requires; a prefix lets two labs share one Redis.
 */
export function redisKeys(prefix: string) {
  const coupon = (id: number) => `${prefix}coupon:{${id}}`;
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
    /** Set of coupon ids whose stream the consumer reads. */
    streamRegistry: `${prefix}issue-streams`,
    /** Stream of entries the consumer could not write, for an operator to look at. */
    parked: `${prefix}parked-issues`,
  };
}

export type RedisKeys = ReturnType<typeof redisKeys>;
