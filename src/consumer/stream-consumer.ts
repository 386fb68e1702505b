import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../core/config.js';
import type { Db } from '../core/db.js';
import type { Log } from '../core/log.js';
import type { Metrics } from '../core/metrics.js';
import type { Redis } from '../core/redis.js';
import { parseEntry, type IssueEntry, type RawEntry } from '../core/issue-stream/entries.js';
import { pruneFinishedStreams } from '../core/issue-stream/registry.js';
import { couponOfTag, type RedisKeys } from '../core/redis-keys.js';
import { writeEntries, type Parked } from './issue-writer.js';
import { handledLater, StreamSource } from './stream-source.js';

export interface ConsumerDeps {
  config: Config;
  db: Db;
  redis: Redis;
  /** For XREADGROUP BLOCK; without one (on a cluster), streams are read without blocking. */
  blockingRedis?: Redis;
  keys: RedisKeys;
  log: Log;
  /** Rows written, revoked and parked are counted here; the lag is read from Redis at scrape time. */
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

/** A batch written: the counts, and the entries whose places Redis must hold or give back. */
interface BatchOutcome extends PersistOutcome {
  placed: IssueEntry[];
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
 * Writes what the lua path accepted into MySQL. Entries are acknowledged only after the
 * MySQL commit, so a consumer that dies mid-batch leaves them pending, and a live consumer
 * takes them over once they have been idle for CONSUMER_CLAIM_IDLE_MS. Writes are idempotent
 * (the unique key), so an entry written twice is still one row. An entry MySQL refuses is
 * parked, never retried forever in front of the others.
 */
export class IssueStreamConsumer {
  readonly name: string;
  readonly source: StreamSource;
  readonly totals: PersistOutcome = { written: 0, revoked: 0, parked: 0 };
  #stopping = false;
  #loop: Promise<void> | undefined;
  #unwatchLag: (() => void) | undefined;

  constructor(
    private readonly deps: ConsumerDeps,
    name = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
  ) {
    this.name = name;
    const { CONSUMER_BATCH_SIZE: batchSize, CONSUMER_CLAIM_IDLE_MS: claimIdleMs } = deps.config;
    this.source = new StreamSource({ ...deps, batchSize, claimIdleMs, cluster: deps.config.REDIS_CLUSTER }, name);
  }

  start(): void {
    this.#unwatchLag ??= this.deps.metrics.watchConsumerLag(() => this.source.lag());
    this.#loop ??= this.#run();
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    this.source.close();
    await this.#loop;
    this.#unwatchLag?.();
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
          await this.persist(await this.source.claimStale());
          await pruneFinishedStreams(this.deps.redis, this.deps.keys);
        }
        // Taken before awaiting: a read that failed must not be awaited again on every later turn.
        const next = ahead;
        ahead = undefined;
        const batch = await (next ?? this.source.readNew(BLOCK_MS));
        if (batch.length === 0) continue;
        if (batch.length >= batchSize) ahead = handledLater(this.source.readNew(BLOCK_MS));
        const outcome = await this.write(batch);
        const previous = acknowledging;
        acknowledging = handledLater(this.source.acknowledge(batch, outcome));
        // A failed acknowledgement leaves its entries pending, to be claimed and replayed (the
        // writes are idempotent); it is reported here and does not hold up the ones after it.
        await previous;
        if (!ahead) await sleep(LINGER_MS);
      } catch (error) {
        if (this.#stopping) break;
        this.deps.log.warn({ error }, 'consumer: batch failed; its entries stay pending and will be retried');
        await sleep(RETRY_AFTER_ERROR_MS);
      }
    }
    // A batch read ahead but not written stays pending, for the next consumer to claim.
    await Promise.allSettled([acknowledging, ahead]);
  }

  /** Writes the entries to MySQL, then acknowledges them: never the other way round. */
  async persist(entries: RawEntry[]): Promise<PersistOutcome> {
    if (entries.length === 0) return { written: 0, revoked: 0, parked: 0 };
    const { placed, unplaced, ...outcome } = await this.write(entries);
    await this.source.acknowledge(entries, { placed, unplaced });
    return outcome;
  }

  /**
   * Writes the entries to MySQL and parks the ones that can never be written, without
   * acknowledging anything (a consumer that dies here leaves them all pending). Counted once
   * committed, even if the acknowledgement then fails: its replay writes nothing.
   */
  async write(entries: RawEntry[]): Promise<BatchOutcome> {
    const issues: IssueEntry[] = [];
    const bad: Parked[] = [];
    for (const entry of entries) {
      const issue = parseEntry(entry);
      if (!issue) bad.push({ entry, reason: 'malformed entry' });
      else if (!isStreamOf(this.deps.keys, entry.stream, issue.couponId)) bad.push({ entry, reason: "in another coupon's stream" });
      else issues.push(issue);
    }
    const { written, revoked, unplaced, placed, refused } = await writeEntries(this.deps.db, issues);
    bad.push(...refused);
    await this.source.park(bad);
    const outcome = { written, revoked, parked: bad.length };
    this.#count(outcome);
    return { ...outcome, placed, unplaced };
  }

  #count(outcome: PersistOutcome): void {
    countPersisted(this.totals, this.deps.metrics, outcome);
  }
}

/** Adds what a batch wrote, revoked and parked to a consumer's totals and to `/metrics`. */
export function countPersisted(totals: PersistOutcome, metrics: Metrics, outcome: PersistOutcome): void {
  totals.written += outcome.written;
  totals.revoked += outcome.revoked;
  totals.parked += outcome.parked;
  metrics.rowsWritten.inc(outcome.written);
  metrics.entriesRevoked.inc(outcome.revoked);
  metrics.entriesParked.inc(outcome.parked);
}

/** The stream is the coupon's own (lua) or one of its buckets' (lua-buckets). */
function isStreamOf(keys: RedisKeys, stream: string, couponId: number): boolean {
  const tag = keys.tagOfStream(stream);
  return tag !== undefined && couponOfTag(tag) === couponId;
}
