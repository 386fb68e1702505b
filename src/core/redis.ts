import { Cluster, Redis as Node, type RedisOptions as NodeOptions } from 'ioredis';
import type { Log } from './log.js';
import { PingError, type PingFailure } from './ping-error.js';

/** A connection to one Redis server, or to a Redis Cluster: the commands the lab sends work on both. */
export type Redis = Node | Cluster;

export interface RedisOptions {
  /**
   * Batch commands issued in the same tick into one write: fewer system calls for the lua path's
   * many small commands; must stay off for a connection that runs blocking commands (XREADGROUP BLOCK).
   */
  autoPipelining: boolean;
  /** Where a connection problem is reported, once per outage. */
  log: Log;
  /** `url` lists the seed nodes of a Redis Cluster (REDIS_CLUSTER). */
  cluster?: boolean;
}

/** Longest pause between two attempts to reconnect: how soon a Redis that is back is used again. */
const RECONNECT_MAX_MS = 100;
/**
 * Longest a command waits for its answer. A Redis that keeps the connection open but answers
 * nothing (stopped, swapping, behind a proxy to a server that is down) would otherwise hold a
 * request, and a lock's vote, for as long as that lasts.
 */
const COMMAND_TIMEOUT_MS = 2_000;

const NODE_OPTIONS: NodeOptions = {
  // Fail a command after one reconnect attempt instead of queueing it for ~20.
  maxRetriesPerRequest: 1,
  connectTimeout: 5_000,
  commandTimeout: COMMAND_TIMEOUT_MS,
  // A command that was in flight when the connection dropped is not sent again: it may have run
  // (an admission answered twice would say ALREADY_ISSUED to the request it accepted), and it
  // fails within COMMAND_TIMEOUT_MS instead.
  autoResendUnfulfilledCommands: false,
};

const reconnectDelay = (attempt: number) => Math.min(attempt * 20, RECONNECT_MAX_MS);

export function createRedis(url: string, options: RedisOptions): Redis {
  const redis = options.cluster
    ? new Cluster(
        redisSeeds(url)
          .map((seed) => new URL(seed))
          .map((seed) => ({ host: seed.hostname, port: Number(seed.port || 6379) })),
        {
          enableAutoPipelining: options.autoPipelining,
          clusterRetryStrategy: reconnectDelay,
          redisOptions: NODE_OPTIONS,
        },
      )
    : new Node(url, { ...NODE_OPTIONS, enableAutoPipelining: options.autoPipelining, retryStrategy: reconnectDelay, lazyConnect: false });
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
    if (error.message !== lastProblem) options.log.warn({ url: redactUrl(url), error }, 'redis connection problem');
    lastProblem = error.message;
  });
  redis.on('ready', () => {
    lastProblem = '';
  });
  return redis;
}

/** The URLs of REDIS_URL: one, or a Redis Cluster's seed nodes. */
function redisSeeds(url: string): string[] {
  return url.split(',').map((seed) => seed.trim());
}

/**
 * Closes a connection: QUIT when it is up, so that what was sent is answered first; at once when
 * it is down, since QUIT then fails (nothing is queued while down) and the client would go on
 * reconnecting, keeping the process alive.
 */
export async function closeRedis(redis: Redis): Promise<void> {
  await redis.quit().catch(() => redis.disconnect());
}

/**
 * One PING on a connection of its own that neither retries nor queues: whether Redis (its first
 * seed) answers now, and whether it is a node of a Redis Cluster (undefined if it will not say:
 * INFO renamed or refused). Fails with a PingError saying why.
 */
export async function pingRedis(url: string): Promise<{ cluster: boolean | undefined }> {
  const redis = new Node(redisSeeds(url)[0]!, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 5_000 });
  // Without retries, connect() rejects with "Connection is closed."; the socket's error says why.
  let cause: Error | undefined;
  redis.on('error', (error: Error) => {
    cause ??= error;
  });
  try {
    await redis.connect();
    await redis.ping();
    const info = await redis.info('cluster').catch(() => undefined);
    return { cluster: info === undefined ? undefined : /^cluster_enabled:1\r?$/m.test(info) };
  } catch (error) {
    throw new PingError(pingFailure(cause ?? error), cause ?? error);
  } finally {
    redis.disconnect();
  }
}

/** What a failed ping means: a refused password, a port that does not speak Redis (ioredis cannot parse its answer), or no Redis there. */
function pingFailure(error: unknown): PingFailure {
  if (!(error instanceof Error)) return 'unreachable';
  if (/^(NOAUTH|WRONGPASS)\b/.test(error.message)) return 'login-refused';
  return error.name === 'ParserError' ? 'not-this-service' : 'unreachable';
}

/** The URL (or URLs) with its password, if any, replaced by `***`: fit for a log line. */
export function redactUrl(url: string): string {
  return redisSeeds(url)
    .map((seed) => {
      const parsed = new URL(seed);
      if (parsed.password) parsed.password = '***';
      return parsed.toString();
    })
    .join(',');
}

/** Deletes every key under a prefix (tests and the bench clean up after themselves with it); on a cluster, on every master. */
export async function deleteKeysWithPrefix(redis: Redis, prefix: string): Promise<void> {
  for (const node of redis instanceof Cluster ? redis.nodes('master') : [redis]) {
    const stream = node.scanStream({ match: `${prefix}*`, count: 500 });
    // One key per UNLINK: on a cluster, keys of different slots may not share a command.
    for await (const keys of stream as AsyncIterable<string[]>) await Promise.all(keys.map((key) => node.unlink(key)));
  }
}

/** True for errors that mean Redis cannot serve now, as opposed to a bad command. */
export function isRedisUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'MaxRetriesPerRequestError' || error.name === 'ClusterAllFailedError') return true;
  if (/^Connection is closed|Stream isn't writeable|^Command timed out/.test(error.message)) return true;
  // ioredis's Cluster, when no node can say which one serves a slot, or the answer keeps moving.
  if (/^Cluster isn't ready|^Too many Cluster redirections|^None of startup nodes is available|^Failed to refresh slots cache/.test(error.message)) return true;
  // Replies of a Redis that cannot serve right now: loading its data, a read-only replica, busy
  // with a script, out of memory; a cluster with a slot unserved, or one moving mid-resharding; a
  // redirection that reached the caller (ioredis follows each one itself, but not those of an
  // auto-pipelined batch whose errors differ: seen with a master killed). A lone node of a
  // cluster taken for a plain Redis would answer the same, and is refused at start-up instead.
  return error.name === 'ReplyError' && /^(LOADING|READONLY|BUSY|MASTERDOWN|OOM|CLUSTERDOWN|TRYAGAIN|MOVED|ASK) /.test(error.message);
}
