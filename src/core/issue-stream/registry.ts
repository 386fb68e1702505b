import type { Redis } from '../redis.js';
import type { RedisKeys } from '../redis-keys.js';

/**
 * The lua path's streams, one per coupon, and the registry of those the consumer reads: the data
 * model issue.lua writes and the consumer drains.
 */

/** The consumer group every consumer process joins. */
export const CONSUMER_GROUP = 'coupon-writers';

/**
 * A coupon whose window closed this long ago gets no more entries, even from a server whose
 * clock runs behind (the script judges the window by the clock of the server that calls it).
 */
const CLOCK_SKEW_GRACE_MS = 60_000;

/** Creates a stream with the consumers' group, or leaves it as it is if the group exists. */
export async function ensureConsumerGroup(redis: Redis, stream: string): Promise<void> {
  await redis.xgroup('CREATE', stream, CONSUMER_GROUP, '0', 'MKSTREAM').catch((error: unknown) => {
    if (!(error instanceof Error && error.message.startsWith('BUSYGROUP'))) throw error;
  });
}

/** Makes the consumer read the coupon's stream: terms that admit requests were just written. */
export async function registerStream(redis: Redis, keys: RedisKeys, couponId: number): Promise<void> {
  await redis.sadd(keys.streamRegistry, couponId);
}

/** The streams the consumer reads. */
export async function registeredStreams(redis: Redis, keys: RedisKeys): Promise<string[]> {
  const ids = await redis.smembers(keys.streamRegistry);
  return ids.map((id) => keys.couponStream(Number(id)));
}

/**
 * Stops reading streams that are empty and can get no more entries: sold out in Redis or past
 * the end of their window. Keeps the list every read names short. A change to the coupon (a
 * raised quantity, a reopened window) registers its stream again. A look at every coupon in one
 * round trip, and two more for those found finished.
 */
export async function pruneFinishedStreams(redis: Redis, keys: RedisKeys): Promise<void> {
  const ids = (await redis.smembers(keys.streamRegistry)).map(Number);
  const finished = await finishedAmong(redis, keys, ids);
  if (finished.length === 0) return;
  await redis.srem(keys.streamRegistry, ...finished);
  // A change may have registered one again between the check and the removal: look once more.
  const reopened = await finishedAmong(redis, keys, finished).then((still) => finished.filter((id) => !still.includes(id)));
  if (reopened.length) await redis.sadd(keys.streamRegistry, ...reopened);
}

async function finishedAmong(redis: Redis, keys: RedisKeys, ids: number[]): Promise<number[]> {
  // Sent together, auto-pipelined; in this order for each coupon, so that once it is finished,
  // nothing new can have been appended after its length was read.
  const looks = await Promise.all(
    ids.map((id) => Promise.all([redis.hmget(keys.couponTerms(id), 'total', 'end'), redis.scard(keys.couponRequests(id)), redis.xlen(keys.couponStream(id))])),
  );
  return ids.filter((_, i) => {
    const [[total, end], admitted, waiting] = looks[i]!;
    const soldOut = total != null && admitted >= Number(total);
    const ended = end != null && Number(end) + CLOCK_SKEW_GRACE_MS < Date.now();
    return (soldOut || ended) && waiting === 0;
  });
}
