import { readFileSync } from 'node:fs';
import type { Result } from 'ioredis';
import type { Redis } from '../../core/redis.js';

/** Return codes of issue.lua; the numbers are the script's, the names are what code reads. */
export enum Admission {
  ACCEPTED = 1,
  ALREADY_ISSUED = 2,
  SOLD_OUT = 3,
  NOT_IN_WINDOW = 4,
  TERMS_MISSING = 5,
  UNVERIFIED = 6,
}

declare module 'ioredis' {
  interface RedisCommander<Context> {
    admitIssue(termsKey: string, requestsKey: string, streamKey: string, userId: number, nowMs: number, couponId: number): Result<Admission, Context>;
  }
}

/** Registers the script on a client; ioredis sends EVALSHA and falls back to EVAL once. */
export function defineAdmissionScript(redis: Redis): void {
  if (typeof redis.admitIssue !== 'function') {
    redis.defineCommand('admitIssue', { numberOfKeys: 3, lua: readFileSync(new URL('./issue.lua', import.meta.url), 'utf8') });
  }
}
