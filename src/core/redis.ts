import { Redis } from 'ioredis';
import { log } from './log.js';

export type { Redis };

export interface RedisOptions {
  /**
   * Batch commands issued in the same tick into one write. Worth ~25% throughput on the
   * lua path; must stay off for a connection that runs blocking commands (XREADGROUP BLOCK).
   */
  autoPipelining: boolean;
}

/** Longest pause between two attempts to reconnect: how soon a Redis that is back is used again. */
const RECONNECT_MAX_MS = 100;

export function createRedis(url: string, options: RedisOptions): Redis {
  const redis = new Redis(url, {
    enableAutoPipelining: options.autoPipelining,
    // Fail a command after one reconnect attempt instead of queueing it for ~20.
    maxRetriesPerRequest: 1,
    retryStrategy: (attempt) => Math.min(attempt * 20, RECONNECT_MAX_MS),
    connectTimeout: 5_000,
    lazyConnect: false,
  });
  // Commands sent before the first connection wait for it (a process starting beside Redis).
  // After that, a command sent while the connection is down fails at once, so a request is
  // answered SERVICE_UNAVAILABLE at once, rather than after reconnect attempts that may each
  // take up to connectTimeout; it is retried on a connection that is up again within
  // RECONNECT_MAX_MS of Redis answering.
  redis.once('ready', () => {
    redis.options.enableOfflineQueue = false;
  });
  // Without a listener ioredis prints every failed reconnect; say it once per outage instead.
  let lastProblem = '';
  redis.on('error', (error: Error) => {
    if (error.message !== lastProblem) log.warn({ url: redactUrl(url), error }, 'redis connection problem');
    lastProblem = error.message;
  });
  redis.on('ready', () => {
    lastProblem = '';
  });
  return redis;
}

/**
 * Closes a connection: QUIT when it is up, so that what was sent is answered first; at once when
 * it is down, since QUIT then fails (nothing is queued while down) and the client would go on
 * reconnecting, keeping the process alive.
 */
export async function closeRedis(redis: Redis): Promise<void> {
  await redis.quit().catch(() => redis.disconnect());
}

/** One PING on a connection of its own that neither retries nor queues: whether Redis answers now. */
export async function pingRedis(url: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 5_000 });
  // Without retries, connect() rejects with "Connection is closed."; the socket's error says why.
  let cause: Error | undefined;
  redis.on('error', (error: Error) => {
    cause ??= error;
  });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw cause ?? error;
  } finally {
    redis.disconnect();
  }
}

/** The URL with its password, if any, replaced by `***`: fit for a log line. */
export function redactUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

/**
 * Every Redis key the lab uses, built in one place. Per-coupon keys carry the coupon id as a
 * hash tag (`{42}`) so the issue script's keys share one slot and it would run on Redis Cluster.
 */
export function redisKeys(prefix: string) {
  const coupon = (id: number) => `${prefix}coupon:{${id}}`;
  return {
    /** Hash of what the lua path needs to judge a request: total, start, end, and v, their coupon version. */
    couponTerms: (id: number) => `${coupon(id)}:terms`,
    /** Set of users whose request the lua path accepted. */
    couponRequests: (id: number) => `${coupon(id)}:requests`,
    /** Stream of accepted requests the consumer has not yet written to MySQL. */
    couponStream: (id: number) => `${coupon(id)}:issues`,
    /** The redis-lock strategy's lock. */
    couponLock: (id: number) => `${coupon(id)}:lock`,
    /** The fenced-lock strategy's lock. */
    couponFencedLock: (id: number) => `${coupon(id)}:fenced-lock`,
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

/** Deletes every key under a prefix (tests and the bench clean up after themselves with it). */
export async function deleteKeysWithPrefix(redis: Redis, prefix: string): Promise<void> {
  const stream = redis.scanStream({ match: `${prefix}*`, count: 500 });
  for await (const keys of stream as AsyncIterable<string[]>) if (keys.length) await redis.unlink(...keys);
}

/** The consumer group every consumer process joins. */
export const CONSUMER_GROUP = 'coupon-writers';

/** Creates a stream with the consumers' group, or leaves it as it is if the group exists. */
export async function ensureConsumerGroup(redis: Redis, stream: string): Promise<void> {
  await redis.xgroup('CREATE', stream, CONSUMER_GROUP, '0', 'MKSTREAM').catch((error: unknown) => {
    if (!(error instanceof Error && error.message.startsWith('BUSYGROUP'))) throw error;
  });
}
