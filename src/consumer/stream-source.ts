import { setTimeout as sleep } from 'node:timers/promises';
import { groupBy } from '../core/group-by.js';
import type { Log } from '../core/log.js';
import type { ConsumerLag } from '../core/metrics.js';
import type { Redis } from '../core/redis.js';
import { isBucketTag, type RedisKeys } from '../core/redis-keys.js';
import { fromClaimReply, fromReadReply, type IssueEntry, type RawEntry } from '../core/issue-stream/entries.js';
import { CONSUMER_GROUP, ensureConsumerGroup, registeredStreams } from '../core/issue-stream/registry.js';
import type { Parked } from './issue-writer.js';

/** The entries of a written batch whose users hold a row now, and those revoked. */
export interface Places {
  placed: IssueEntry[];
  unplaced: IssueEntry[];
}

export interface SourceDeps {
  /** For acknowledgements, claims and reads that do not block. */
  redis: Redis;
  /** A connection of its own for XREADGROUP BLOCK, which would stall every other command; none on a cluster. */
  blockingRedis?: Redis;
  keys: RedisKeys;
  log: Log;
  batchSize: number;
  claimIdleMs: number;
  /**
   * Redis is a cluster: a command may name keys of one slot only, and each coupon's stream has
   * a slot of its own, so each is read by itself, and without blocking (one blocking read per
   * stream would need a connection per stream).
   */
  cluster: boolean;
}

/**
 * Where the consumer's entries come from and go back to: every registered stream of the lua path,
 * through the consumers' group, as this consumer. Redis's side of the consumer, in as few round
 * trips as it takes: a read names every stream at once (on a cluster, every stream of a node is
 * read in one write), and the registry for the next read is fetched while this one blocks; the
 * commands of claims, acknowledgements and the lag go out together, one per stream (a command
 * per slot, as a cluster requires), auto-pipelined into one write per node.
 */
export class StreamSource {
  #nextStreams: Promise<string[]> | undefined;

  constructor(
    private readonly deps: SourceDeps,
    readonly consumer: string,
  ) {}

  /** Entries no consumer has been given yet, waiting up to `blockMs` for some. */
  async readNew(blockMs: number): Promise<RawEntry[]> {
    const { redis, blockingRedis, keys, batchSize } = this.deps;
    const fetching = this.#nextStreams ?? registeredStreams(redis, keys);
    this.#nextStreams = undefined; // a fetch that failed is not awaited again: the next read fetches afresh
    const streams = await fetching;
    this.#nextStreams = handledLater(registeredStreams(redis, keys));
    if (this.deps.cluster || !blockingRedis) return this.#readEach(streams, blockMs);
    if (streams.length === 0) {
      await sleep(blockMs);
      return [];
    }
    const reply = await blockingRedis
      .xreadgroup('GROUP', CONSUMER_GROUP, this.consumer, 'COUNT', batchSize, 'BLOCK', blockMs, 'STREAMS', ...streams, ...streams.map(() => '>'))
      .catch((error: unknown) => this.#recreateMissingGroups(error, streams));
    return fromReadReply(reply);
  }

  /** Each stream by itself, none blocking; if none had anything, waits `blockMs` before answering. */
  async #readEach(streams: string[], blockMs: number): Promise<RawEntry[]> {
    const { redis, batchSize } = this.deps;
    const replies = await Promise.all(
      streams.map((stream) =>
        redis
          .xreadgroup('GROUP', CONSUMER_GROUP, this.consumer, 'COUNT', batchSize, 'STREAMS', stream, '>')
          .catch((error: unknown) => this.#recreateMissingGroups(error, [stream])),
      ),
    );
    const entries = replies.flatMap(fromReadReply);
    if (entries.length === 0) await sleep(blockMs);
    return entries;
  }

  /** Entries any consumer (a dead one, or this one after a failed batch) left unacknowledged. */
  async claimStale(): Promise<RawEntry[]> {
    const { redis, keys, batchSize, claimIdleMs } = this.deps;
    const streams = await registeredStreams(redis, keys);
    const claims = await Promise.all(
      streams.map(async (stream) => {
        const reply = await redis
          .xautoclaim(stream, CONSUMER_GROUP, this.consumer, claimIdleMs, '0-0', 'COUNT', batchSize)
          .catch((error: unknown) => this.#recreateMissingGroups(error, [stream]));
        return fromClaimReply(stream, reply);
      }),
    );
    return claims.flat();
  }

  /**
   * Acknowledged entries are also deleted, so a stream's length is what is still to write. The
   * requests set is made to agree with MySQL: the users who hold a row keep (or get back) their
   * place, those revoked give theirs back, so that Redis admits no more than MySQL has room for.
   * A bucket's revoked users keep theirs: its places are counted against the bucket's share, and a
   * place given back to one bucket while another still owes one (it got back a user Redis had
   * lost) would be admitted and revoked again, over and over. One transaction, whose every
   * command must succeed.
   */
  async acknowledge(entries: RawEntry[], places: Places = { placed: [], unplaced: [] }): Promise<void> {
    const { redis, keys } = this.deps;
    const placed = groupBy(places.placed, (entry) => entry.stream);
    const unplaced = groupBy(places.unplaced, (entry) => entry.stream);
    // One transaction per stream: its keys and its requests set share one slot, the coupon's or
    // the bucket's. (The consumer writes only entries found in their own coupon's streams.)
    const transactions = [...groupBy(entries, (entry) => entry.stream)].map(async ([stream, group]) => {
      const ids = group.map((entry) => entry.id);
      const tx = redis
        .multi()
        .xack(stream, CONSUMER_GROUP, ...ids)
        .xdel(stream, ...ids);
      for (const [held, add] of [
        [placed.get(stream), true],
        [unplaced.get(stream), false],
      ] as const) {
        if (!held?.length) continue;
        const tag = keys.tagOfStream(stream)!; // entries with places are in one of their coupon's streams
        if (!add && isBucketTag(tag)) continue;
        const set = keys.requestsOf(tag);
        const users = held.map((entry) => entry.userId);
        if (add) tx.sadd(set, ...users);
        else tx.srem(set, ...users);
      }
      // EXEC answers each command's error in place rather than failing as a whole.
      const failed = (await tx.exec())?.find(([error]) => error)?.[0];
      if (failed) throw failed;
    });
    await Promise.all(transactions);
  }

  /** Moves entries that can never be written to the parked stream, where an operator can look at them. */
  async park(bad: Parked[]): Promise<void> {
    if (bad.length === 0) return;
    const { redis, keys, log } = this.deps;
    const pipeline = redis.pipeline();
    for (const { entry, reason } of bad) {
      log.warn({ stream: entry.stream, id: entry.id, reason }, 'consumer: parked an entry it cannot write');
      pipeline.xadd(keys.parked, '*', 'stream', entry.stream, 'id', entry.id, 'reason', reason, 'fields', JSON.stringify(entry.fields));
    }
    const failed = (await pipeline.exec())?.find(([error]) => error)?.[0];
    if (failed) throw failed;
  }

  /**
   * What is accepted and not yet written, over every registered stream. Entries are deleted once
   * acknowledged, so a stream's length is its backlog, and its first entry the oldest of it.
   */
  async lag(): Promise<ConsumerLag> {
    const { redis, keys } = this.deps;
    const streams = await registeredStreams(redis, keys);
    // A failure fails it all: better no figure than one that leaves a stream out.
    const each = await Promise.all(streams.map((stream) => Promise.all([redis.xlen(stream), redis.xrange(stream, '-', '+', 'COUNT', 1)])));
    let pending = 0;
    let oldestMs = Date.now();
    for (const [length, [first]] of each) {
      pending += length;
      if (first) oldestMs = Math.min(oldestMs, Number(first[0].split('-')[0]));
    }
    return { pending, oldestAgeSeconds: pending === 0 ? 0 : (Date.now() - oldestMs) / 1000 };
  }

  /** Ends a pending XREADGROUP BLOCK at once. */
  close(): void {
    this.deps.blockingRedis?.disconnect();
  }

  /**
   * A registered stream whose key was deleted (a flushed Redis, an operator's DEL) has lost its
   * group, and XREADGROUP then fails for every stream it names. Recreating the group, on an
   * empty stream, keeps one missing key from stopping the writes of every coupon.
   */
  async #recreateMissingGroups(error: unknown, streams: string[]): Promise<null> {
    if (!(error instanceof Error && error.message.startsWith('NOGROUP'))) throw error;
    this.deps.log.warn({ streams }, 'consumer: a stream had no consumer group; created it again');
    for (const stream of streams) await ensureConsumerGroup(this.deps.redis, stream);
    return null;
  }
}

/**
 * For a promise awaited later, which handles its failure then: without a handler now, a failure
 * arriving before then would count as an unhandled rejection and end the process.
 */
export function handledLater<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}
