import type { Redis } from '../redis.js';
import type { AdmissionTag, RedisKeys } from '../redis-keys.js';

/**
 * The lua path's streams, one per coupon (lua) or one per bucket of a coupon (lua-buckets), and
 * the registry of those the consumer reads, by tag: the data model the admission scripts write and
 * the consumer drains.
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

/** Makes the consumer read a coupon's (or a bucket's) stream: terms or places that admit requests were just written. */
export async function registerStream(redis: Redis, keys: RedisKeys, ...tags: AdmissionTag[]): Promise<void> {
  await redis.sadd(keys.streamRegistry, ...tags);
}

/** The streams the consumer reads. */
export async function registeredStreams(redis: Redis, keys: RedisKeys): Promise<string[]> {
  const tags = await redis.smembers(keys.streamRegistry);
  return tags.map((tag) => keys.streamOf(tag));
}

/**
 * Stops reading streams that are empty and can get no more entries: sold out in Redis or past
 * the end of their window. Keeps the list every read names short. A change to the coupon (a
 * raised quantity, a reopened window) registers its stream again. A look at every coupon in one
 * round trip, and two more for those found finished.
 */
export async function pruneFinishedStreams(redis: Redis, keys: RedisKeys): Promise<void> {
  const tags = await redis.smembers(keys.streamRegistry);
  const finished = await finishedAmong(redis, keys, tags);
  if (finished.length === 0) return;
  await redis.srem(keys.streamRegistry, ...finished);
  // A change may have registered one again between the check and the removal: look once more.
  const reopened = await finishedAmong(redis, keys, finished).then((still) => finished.filter((id) => !still.includes(id)));
  if (reopened.length) await redis.sadd(keys.streamRegistry, ...reopened);
}

/**
 * A bucket is finished once its own share is taken; places sent to it later (lua-buckets'
 * fallback, a re-split) register its stream again.
 */
async function finishedAmong(redis: Redis, keys: RedisKeys, tags: string[]): Promise<string[]> {
  // Sent together, auto-pipelined; in this order for each stream, so that once it is finished,
  // nothing new can have been appended after its length was read.
  const looks = await Promise.all(
    tags.map((tag) =>
      Promise.all([redis.hmget(keys.termsOf(tag), 'total', 'end', 'share'), redis.scard(keys.requestsOf(tag)), redis.xlen(keys.streamOf(tag))]),
    ),
  );
  return tags.filter((_, i) => {
    const [[total, end, share], admitted, waiting] = looks[i]!;
    const places = share ?? total;
    const soldOut = places != null && admitted >= Number(places);
    const ended = end != null && Number(end) + CLOCK_SKEW_GRACE_MS < Date.now();
    return (soldOut || ended) && waiting === 0;
  });
}
