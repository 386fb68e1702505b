import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../core/config.js';
import { addIssued, existingCouponIds, findCoupon, insertIssuesIgnoringDuplicates } from '../core/coupon-repository.js';
import type { Db } from '../core/db.js';
import { isTransientMysqlError } from '../core/errors.js';
import { groupBy } from '../core/group-by.js';
import { log } from '../core/log.js';
import { CONSUMER_GROUP, type Redis, type RedisKeys } from '../core/redis.js';
import { fromEntries, fromReadReply, parseEntry, type IssueEntry, type RawEntry } from './stream-entries.js';

export interface ConsumerDeps {
  config: Config;
  db: Db;
  /** For writes, acks and reads that do not block. */
  redis: Redis;
  /** A connection of its own for XREADGROUP BLOCK, which would stall every other command. */
  blockingRedis: Redis;
  keys: RedisKeys;
}

export interface PersistOutcome {
  /** Rows inserted now (a replayed entry whose row exists counts 0). */
  written: number;
  /** Entries moved to the parked stream. */
  parked: number;
}

const BLOCK_MS = 100;
const RETRY_AFTER_ERROR_MS = 500;

/**
 * Writes what the lua path accepted into MySQL. Entries are acknowledged only after the
 * MySQL commit, so a consumer that dies mid-batch leaves them pending, and a live consumer
 * takes them over once they have been idle for CONSUMER_CLAIM_IDLE_MS. Writes are idempotent
 * (the unique key), so an entry written twice is still one row. An entry MySQL refuses is
 * parked, never retried forever in front of the others.
 */
export class IssueStreamConsumer {
  readonly name: string;
  readonly totals: PersistOutcome = { written: 0, parked: 0 };
  #stopping = false;
  #loop: Promise<void> | undefined;

  constructor(
    private readonly deps: ConsumerDeps,
    name = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
  ) {
    this.name = name;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    this.deps.blockingRedis.disconnect(); // ends a pending XREADGROUP BLOCK at once
    await this.#loop;
  }

  async #run(): Promise<void> {
    let lastClaim = 0;
    while (!this.#stopping) {
      try {
        if (Date.now() - lastClaim >= this.deps.config.CONSUMER_CLAIM_IDLE_MS / 2) {
          lastClaim = Date.now();
          await this.persist(await this.claimStale());
          await this.pruneFinishedStreams();
        }
        await this.persist(await this.readNew(BLOCK_MS));
      } catch (error) {
        if (this.#stopping) break;
        log.warn('consumer: batch failed; its entries stay pending and will be retried', { error });
        await sleep(RETRY_AFTER_ERROR_MS);
      }
    }
  }

  /** Entries no consumer has been given yet. */
  async readNew(blockMs: number): Promise<RawEntry[]> {
    const streams = await this.#streams();
    if (streams.length === 0) {
      await sleep(blockMs);
      return [];
    }
    const reply = await this.deps.blockingRedis.xreadgroup(
      'GROUP', CONSUMER_GROUP, this.name,
      'COUNT', this.deps.config.CONSUMER_BATCH_SIZE,
      'BLOCK', blockMs,
      'STREAMS', ...streams, ...streams.map(() => '>'),
    );
    return fromReadReply(reply);
  }

  /** Entries any consumer (a dead one, or this one after a failed batch) left unacknowledged. */
  async claimStale(): Promise<RawEntry[]> {
    const claimed: RawEntry[] = [];
    for (const stream of await this.#streams()) {
      const [, entries] = (await this.deps.redis.xautoclaim(
        stream, CONSUMER_GROUP, this.name, this.deps.config.CONSUMER_CLAIM_IDLE_MS, '0-0',
        'COUNT', this.deps.config.CONSUMER_BATCH_SIZE,
      )) as [string, [string, string[]][]];
      claimed.push(...fromEntries(stream, entries));
    }
    return claimed;
  }

  /** Writes the entries to MySQL, then acknowledges them: never the other way round. */
  async persist(entries: RawEntry[]): Promise<PersistOutcome> {
    if (entries.length === 0) return { written: 0, parked: 0 };
    const outcome = await this.write(entries);
    await this.acknowledge(entries);
    this.totals.written += outcome.written;
    this.totals.parked += outcome.parked;
    return outcome;
  }

  /**
   * Writes the entries to MySQL in one transaction and parks the ones it cannot write,
   * without acknowledging anything (a consumer that dies here leaves them all pending).
   */
  async write(entries: RawEntry[]): Promise<PersistOutcome> {
    const parsed = entries.map((entry) => ({ entry, issue: parseEntry(entry) }));
    const bad = parsed.filter((p) => !p.issue).map((p) => ({ entry: p.entry, reason: 'malformed entry' }));
    const issues = parsed.flatMap((p) => (p.issue ? [p.issue] : []));
    const known = await existingCouponIds(this.deps.db, [...new Set(issues.map((issue) => issue.couponId))]);
    for (const issue of issues.filter((i) => !known.has(i.couponId))) bad.push({ entry: issue, reason: 'no such coupon' });
    const { written, refused } = await this.#write(issues.filter((issue) => known.has(issue.couponId)));
    bad.push(...refused);
    await this.#park(bad);
    return { written, parked: bad.length };
  }

  async #write(issues: IssueEntry[]): Promise<{ written: number; refused: { entry: RawEntry; reason: string }[] }> {
    try {
      return { written: await this.deps.db.transaction((trx) => writeIssues(trx, issues)), refused: [] };
    } catch (error) {
      if (isTransientMysqlError(error)) throw error;
      // Something in the batch was refused: find it by writing one entry at a time.
      let written = 0;
      const refused: { entry: RawEntry; reason: string }[] = [];
      for (const issue of issues) {
        try {
          written += await this.deps.db.transaction((trx) => writeIssues(trx, [issue]));
        } catch (single) {
          if (isTransientMysqlError(single)) throw single;
          refused.push({ entry: issue, reason: single instanceof Error ? single.message : String(single) });
        }
      }
      return { written, refused };
    }
  }

  async #park(bad: { entry: RawEntry; reason: string }[]): Promise<void> {
    for (const { entry, reason } of bad) {
      log.warn('consumer: parked an entry it cannot write', { stream: entry.stream, id: entry.id, reason });
      await this.deps.redis.xadd(
        this.deps.keys.parked, '*',
        'stream', entry.stream, 'id', entry.id, 'reason', reason, 'fields', JSON.stringify(entry.fields),
      );
    }
  }

  /** Acknowledged entries are also deleted, so a stream's length is what is still to write. */
  async acknowledge(entries: RawEntry[]): Promise<void> {
    const byStream = groupBy(entries, (entry) => entry.stream);
    const tx = this.deps.redis.multi();
    for (const [stream, group] of byStream) {
      const ids = group.map((entry) => entry.id);
      tx.xack(stream, CONSUMER_GROUP, ...ids).xdel(stream, ...ids);
    }
    await tx.exec();
  }

  /**
   * Stops reading streams that can never receive another entry: sold out in Redis (the
   * requests set never shrinks) and empty. Keeps the per-read stream list short.
   */
  async pruneFinishedStreams(): Promise<void> {
    const { redis, keys } = this.deps;
    for (const id of await redis.smembers(keys.streamRegistry)) {
      const coupon = Number(id);
      // Read in this order: once sold out, nothing new can be appended after the length is read.
      const total = await redis.hget(keys.couponTerms(coupon), 'total');
      const admitted = await redis.scard(keys.couponRequests(coupon));
      const waiting = await redis.xlen(keys.couponStream(coupon));
      if (total !== null && admitted >= Number(total) && waiting === 0) await redis.srem(keys.streamRegistry, id);
    }
  }

  async #streams(): Promise<string[]> {
    const ids = await this.deps.redis.smembers(this.deps.keys.streamRegistry);
    return ids.map((id) => this.deps.keys.couponStream(Number(id)));
  }
}

async function writeIssues(trx: Db, issues: IssueEntry[]): Promise<number> {
  let written = 0;
  for (const [couponId, group] of groupBy(issues, (issue) => issue.couponId)) {
    // Lock the coupon row first: two consumers replaying the same entries then queue here
    // instead of deadlocking between the insert's foreign-key check and the count update.
    await findCoupon(trx, couponId, { forUpdate: true });
    const rows = group.map((issue) => ({ couponId, userId: issue.userId, issuedAt: issue.acceptedAt }));
    const inserted = await insertIssuesIgnoringDuplicates(trx, rows);
    if (inserted > 0) await addIssued(trx, couponId, inserted);
    written += inserted;
  }
  return written;
}
