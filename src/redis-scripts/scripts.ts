import { readFileSync } from 'node:fs';
import type { Result } from 'ioredis';
import type { Redis } from '../core/redis.js';
import type { Admission, Credit, SealMode, TermsWrite, TermsWriteMode } from './replies.js';

/**
 * Every Lua script of the lab, by the command name ioredis gives it: its file beside this module
 * and how many of its arguments are keys. A script is added here, its typed signature below.
 */
const SCRIPTS = {
  admitIssue: { file: 'issue.lua', keys: 3 },
  writeTerms: { file: 'write-terms.lua', keys: 1 },
  addWaiting: { file: 'add-waiting.lua', keys: 2 },
  acquireFencedLock: { file: 'fenced-acquire.lua', keys: 2 },
  catchUpFence: { file: 'fence-catch-up.lua', keys: 1 },
  releaseLock: { file: 'release.lua', keys: 1 },
  admitAtBucket: { file: 'bucket-issue.lua', keys: 4 },
  lookAtBucket: { file: 'bucket-look.lua', keys: 3 },
  takeFromBucket: { file: 'bucket-take.lua', keys: 3 },
  sealBucket: { file: 'bucket-seal.lua', keys: 5 },
  creditBucket: { file: 'bucket-credit.lua', keys: 1 },
  markBucketSoldOut: { file: 'bucket-sold-out.lua', keys: 2 },
} as const;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    admitIssue(termsKey: string, requestsKey: string, streamKey: string, userId: number, nowMs: number, couponId: number): Result<Admission, Context>;
    writeTerms(
      termsKey: string,
      mode: TermsWriteMode,
      version: number,
      total: number,
      startMs: number | '',
      endMs: number | '',
      rebuiltOnRun: string,
    ): Result<TermsWrite, Context>;
    /** [run id, last entry id read or '', entries read]. */
    addWaiting(streamKey: string, requestsKey: string, start: string, count: number): Result<[string, string, number], Context>;
    /** The fencing token, or 0 if the lock is taken. */
    acquireFencedLock(lockKey: string, fenceKey: string, owner: string, leaseMs: number): Result<number, Context>;
    /** The counter, raised to at least `newest`. */
    catchUpFence(fenceKey: string, newest: number): Result<number, Context>;
    /** 1 if released (and, given a channel, published on it), 0 if the lock was not this owner's. */
    releaseLock(lockKey: string, owner: string, channel?: string): Result<number, Context>;
    /** [BucketAdmission, …] as bucket-issue.lua's header says. */
    admitAtBucket(
      termsKey: string,
      requestsKey: string,
      streamKey: string,
      creditedKey: string,
      userId: number | '',
      nowMs: number,
      couponId: number,
      transferId: string,
      places: number,
      generation: number,
    ): Result<number[], Context>;
    /** [BucketState, gen, ver, free, soldOut, sealedAt, …(transfer id, to, places, at)]. */
    lookAtBucket(termsKey: string, requestsKey: string, transfersKey: string): Result<(number | string)[], Context>;
    /** The places taken: 0 if none. */
    takeFromBucket(
      termsKey: string,
      requestsKey: string,
      transfersKey: string,
      transferId: string,
      to: number,
      generation: number,
      nowMs: number,
    ): Result<number, Context>;
    /** [Seal, value]. */
    sealBucket(
      termsKey: string,
      requestsKey: string,
      transfersKey: string,
      creditedKey: string,
      streamKey: string,
      mode: SealMode,
      generation: number,
      owner: string,
      version: number,
      total: number,
      startMs: number | '',
      endMs: number | '',
      rebuiltOnRun: string,
      nowMs: number,
      group: string,
    ): Result<number[], Context>;
    creditBucket(termsKey: string, generation: number, owner: string, places: number): Result<Credit, Context>;
    /** 1 if marked, 0 if the bucket changed since it was read. */
    markBucketSoldOut(termsKey: string, requestsKey: string, generation: number, ver: number): Result<number, Context>;
  }
}

let sources: Map<string, string> | undefined;

/** The scripts' text, read once per process. */
function source(file: string): string {
  sources ??= new Map(Object.values(SCRIPTS).map(({ file: name }) => [name, readFileSync(new URL(`./${name}`, import.meta.url), 'utf8')]));
  return sources.get(file)!;
}

/**
 * Defines every script on a client as a command of its own; ioredis sends EVALSHA, and EVAL
 * once where Redis does not know the script yet. Call it where the client is made (createLab
 * does for the lab's), before the client is used: a command defined while an auto-pipeline is
 * being filled is missing from that pipeline (ioredis #1931). A second call on a client changes
 * nothing.
 */
export function defineScripts<R extends Redis>(redis: R): R {
  for (const [name, { file, keys }] of Object.entries(SCRIPTS)) {
    if (name in redis) continue;
    redis.defineCommand(name, { numberOfKeys: keys, lua: source(file) });
  }
  return redis;
}
