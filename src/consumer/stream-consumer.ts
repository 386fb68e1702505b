import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../core/config.js';
import type { Db } from '../core/db.js';
import { groupBy } from '../core/group-by.js';
import { log } from '../core/log.js';
import type { ConsumerLag, Metrics } from '../core/metrics.js';
import { CONSUMER_GROUP, ensureConsumerGroup, type Redis, type RedisKeys } from '../core/redis.js';
import { fromClaimReply, fromReadReply, parseEntry, type IssueEntry, type RawEntry } from '../strategies/lua/stream-entries.js';
import { writeEntries, type Parked } from './issue-writer.js';

export interface ConsumerDeps {
  config: Config;
  db: Db;
  /** For writes, acks and reads that do not block. */
  redis: Redis;
  /** A connection of its own for XREADGROUP BLOCK, which would stall every other command. */
  blockingRedis: Redis;
  keys: RedisKeys;
  /** Rows written and entries parked are counted here; the lag is read from Redis at scrape time. */
  metrics: Metrics;
}

export interface PersistOutcome {
  /** Rows inserted now (a replayed entry whose row exists counts 0). */
  written: number;
  /** Accepted requests revoked now: no place was left for them (see issue-writer.ts). */
  revoked: number;
  /** Entries moved to the parked stream. */
  parked: number;
}

/** A batch written: the counts, and the revoked entries whose places Redis must give back. */
interface BatchOutcome extends PersistOutcome {
  unplaced: IssueEntry[];
}

const BLOCK_MS = 100;
const RETRY_AFTER_ERROR_MS = 500;
/**
 * After a batch smaller than CONSUMER_BATCH_SIZE (the consumer has caught up), wait this long
 * before reading again so that the next batch gathers more entries. Under a steady stream this
 * turns many small MySQL transactions into a few large ones, which costs the process far less
 * CPU, for at most this much more delay per entry.
 */
const LINGER_MS = 10;
/**
 * A coupon whose window closed this long ago gets no more entries, even from a server whose
 * clock runs behind (the script judges the window by the clock of the server that calls it).
 */
const CLOCK_SKEW_GRACE_MS = 60_000;

/**
 * Writes what the lua path accepted into MySQL. Entries are acknowledged only after the
 * MySQL commit, so a consumer that dies mid-batch leaves them pending, and a live consumer
 * takes them over once they have been idle for CONSUMER_CLAIM_IDLE_MS. Writes are idempotent
 * (the unique key), so an entry written twice is still one row. An entry MySQL refuses is
 * parked, never retried forever in front of the others.
 */
export class IssueStreamConsumer {
  readonly name: string;
  readonly totals: PersistOutcome = { written: 0, revoked: 0, parked: 0 };
  #stopping = false;
  #loop: Promise<void> | undefined;
  #unwatchLag: (() => void) | undefined;

  constructor(
    private readonly deps: ConsumerDeps,
    name = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
  ) {
    this.name = name;
  }

  start(): void {
    this.#unwatchLag ??= this.deps.metrics.watchConsumerLag(() => this.lag());
    this.#loop ??= this.#run();
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    this.deps.blockingRedis.disconnect(); // ends a pending XREADGROUP BLOCK at once
    await this.#loop;
    this.#unwatchLag?.();
  }

  /**
   * What is accepted and not yet written, over every registered stream. Entries are deleted once
   * acknowledged, so a stream's length is its backlog, and its first entry the oldest of it.
   */
  async lag(): Promise<ConsumerLag> {
    const streams = await this.#streams();
    const tx = this.deps.redis.pipeline();
    for (const stream of streams) tx.xlen(stream).xrange(stream, '-', '+', 'COUNT', 1);
    const replies = (await tx.exec()) ?? [];
    const failed = replies.find(([error]) => error)?.[0];
    if (failed) throw failed; // better no figure than one that leaves a stream out
    let pending = 0;
    let oldestMs = Date.now();
    for (let i = 0; i < replies.length; i += 2) {
      pending += Number(replies[i]![1] ?? 0);
      const [first] = (replies[i + 1]![1] as [string, string[]][] | null) ?? [];
      if (first) oldestMs = Math.min(oldestMs, Number(first[0].split('-')[0]));
    }
    return { pending, oldestAgeSeconds: pending === 0 ? 0 : (Date.now() - oldestMs) / 1000 };
  }

  async #run(): Promise<void> {
    const { CONSUMER_BATCH_SIZE: batchSize, CONSUMER_CLAIM_IDLE_MS: claimIdleMs } = this.deps.config;
    let lastClaim = 0;
    // With a backlog, three batches are in flight, one per stage: batch n+1 is read from Redis
    // while batch n is written to MySQL and batch n-1 is acknowledged. An entry is still
    // acknowledged only after its own commit; until then it is pending for this consumer.
    let ahead: Promise<RawEntry[]> | undefined;
    let acknowledging: Promise<void> = Promise.resolve();
    while (!this.#stopping) {
      try {
        if (Date.now() - lastClaim >= claimIdleMs / 2) {
          lastClaim = Date.now();
          await this.persist(await this.claimStale());
          await this.pruneFinishedStreams();
        }
        // Taken before awaiting: a read that failed must not be awaited again on every later turn.
        const next = ahead;
        ahead = undefined;
        const batch = await (next ?? this.readNew(BLOCK_MS));
        if (batch.length === 0) continue;
        if (batch.length >= batchSize) ahead = handledLater(this.readNew(BLOCK_MS));
        const outcome = await this.write(batch);
        this.#count(outcome);
        const previous = acknowledging;
        acknowledging = handledLater(this.acknowledge(batch, outcome.unplaced));
        // A failed acknowledgement leaves its entries pending, to be claimed and replayed (the
        // writes are idempotent); it is reported here and does not hold up the ones after it.
        await previous;
        if (!ahead) await sleep(LINGER_MS);
      } catch (error) {
        if (this.#stopping) break;
        log.warn({ error }, 'consumer: batch failed; its entries stay pending and will be retried');
        await sleep(RETRY_AFTER_ERROR_MS);
      }
    }
    // A batch read ahead but not written stays pending, for the next consumer to claim.
    await Promise.allSettled([acknowledging, ahead]);
  }

  /** Entries no consumer has been given yet. */
  async readNew(blockMs: number): Promise<RawEntry[]> {
    const streams = await this.#streams();
    if (streams.length === 0) {
      await sleep(blockMs);
      return [];
    }
    const reply = await this.deps.blockingRedis
      .xreadgroup(
        'GROUP', CONSUMER_GROUP, this.name,
        'COUNT', this.deps.config.CONSUMER_BATCH_SIZE,
        'BLOCK', blockMs,
        'STREAMS', ...streams, ...streams.map(() => '>'),
      )
      .catch((error: unknown) => this.#recreateMissingGroups(error, streams));
    return fromReadReply(reply);
  }

  /** Entries any consumer (a dead one, or this one after a failed batch) left unacknowledged. */
  async claimStale(): Promise<RawEntry[]> {
    const claimed: RawEntry[] = [];
    for (const stream of await this.#streams()) {
      const reply = await this.deps.redis
        .xautoclaim(
          stream, CONSUMER_GROUP, this.name, this.deps.config.CONSUMER_CLAIM_IDLE_MS, '0-0',
          'COUNT', this.deps.config.CONSUMER_BATCH_SIZE,
        )
        .catch((error: unknown) => this.#recreateMissingGroups(error, [stream]));
      claimed.push(...fromClaimReply(stream, reply));
    }
    return claimed;
  }

  /**
   * A registered stream whose key was deleted (a flushed Redis, an operator's DEL) has lost its
   * group, and XREADGROUP then fails for every stream it names. Recreating the group, on an
   * empty stream, keeps one missing key from stopping the writes of every coupon.
   */
  async #recreateMissingGroups(error: unknown, streams: string[]): Promise<null> {
    if (!(error instanceof Error && error.message.startsWith('NOGROUP'))) throw error;
    log.warn({ streams }, 'consumer: a stream had no consumer group; created it again');
    for (const stream of streams) await ensureConsumerGroup(this.deps.redis, stream);
    return null;
  }

  /** Writes the entries to MySQL, then acknowledges them: never the other way round. */
  async persist(entries: RawEntry[]): Promise<PersistOutcome> {
    if (entries.length === 0) return { written: 0, revoked: 0, parked: 0 };
    const { unplaced, ...outcome } = await this.write(entries);
    this.#count(outcome); // committed: counted even if the acknowledgement fails (its replay writes 0)
    await this.acknowledge(entries, unplaced);
    return outcome;
  }

  #count(outcome: PersistOutcome): void {
    this.totals.written += outcome.written;
    this.totals.revoked += outcome.revoked;
    this.totals.parked += outcome.parked;
    this.deps.metrics.rowsWritten.inc(outcome.written);
    this.deps.metrics.entriesRevoked.inc(outcome.revoked);
    this.deps.metrics.entriesParked.inc(outcome.parked);
  }

  /**
   * Writes the entries to MySQL and parks the ones that can never be written, without
   * acknowledging anything (a consumer that dies here leaves them all pending).
   */
  async write(entries: RawEntry[]): Promise<BatchOutcome> {
    const issues: IssueEntry[] = [];
    const bad: Parked[] = [];
    for (const entry of entries) {
      const issue = parseEntry(entry);
      if (issue) issues.push(issue);
      else bad.push({ entry, reason: 'malformed entry' });
    }
    const { written, revoked, unplaced, refused } = await writeEntries(this.deps.db, issues);
    bad.push(...refused);
    await this.#park(bad);
    return { written, revoked, parked: bad.length, unplaced };
  }

  async #park(bad: Parked[]): Promise<void> {
    for (const { entry, reason } of bad) {
      log.warn({ stream: entry.stream, id: entry.id, reason }, 'consumer: parked an entry it cannot write');
      await this.deps.redis.xadd(
        this.deps.keys.parked, '*',
        'stream', entry.stream, 'id', entry.id, 'reason', reason, 'fields', JSON.stringify(entry.fields),
      );
    }
  }

  /**
   * Acknowledged entries are also deleted, so a stream's length is what is still to write. The
   * places of revoked requests go back to their coupon's requests set, so that Redis again
   * admits no more than MySQL holds room for.
   */
  async acknowledge(entries: RawEntry[], unplaced: IssueEntry[] = []): Promise<void> {
    const tx = this.deps.redis.multi();
    for (const [stream, group] of groupBy(entries, (entry) => entry.stream)) {
      const ids = group.map((entry) => entry.id);
      tx.xack(stream, CONSUMER_GROUP, ...ids).xdel(stream, ...ids);
    }
    for (const [couponId, group] of groupBy(unplaced, (entry) => entry.couponId)) {
      tx.srem(this.deps.keys.couponRequests(couponId), ...group.map((entry) => entry.userId));
    }
    // EXEC answers each command's error in place rather than failing as a whole.
    const failed = (await tx.exec())?.find(([error]) => error)?.[0];
    if (failed) throw failed;
  }

  /**
   * Stops reading streams that are empty and can get no more entries: sold out in Redis or past
   * the end of their window. Keeps the list every read names short. A change to the coupon (a
   * raised quantity, a reopened window) registers its stream again.
   */
  async pruneFinishedStreams(): Promise<void> {
    const { redis, keys } = this.deps;
    for (const id of await redis.smembers(keys.streamRegistry)) {
      if (!(await this.#finished(Number(id)))) continue;
      await redis.srem(keys.streamRegistry, id);
      // A change may have registered it again between the check and the removal: look once more.
      if (!(await this.#finished(Number(id)))) await redis.sadd(keys.streamRegistry, id);
    }
  }

  async #finished(couponId: number): Promise<boolean> {
    const { redis, keys } = this.deps;
    // Read in this order: once finished, nothing new can be appended after the length is read.
    const [total, end] = await redis.hmget(keys.couponTerms(couponId), 'total', 'end');
    const admitted = await redis.scard(keys.couponRequests(couponId));
    const waiting = await redis.xlen(keys.couponStream(couponId));
    const soldOut = total != null && admitted >= Number(total);
    const ended = end != null && Number(end) + CLOCK_SKEW_GRACE_MS < Date.now();
    return (soldOut || ended) && waiting === 0;
  }

  async #streams(): Promise<string[]> {
    const ids = await this.deps.redis.smembers(this.deps.keys.streamRegistry);
    return ids.map((id) => this.deps.keys.couponStream(Number(id)));
  }
}

/**
 * For a promise awaited later in the loop, which handles its failure: without a handler now, a
 * failure arriving before then would count as an unhandled rejection and end the process.
 */
function handledLater<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}
