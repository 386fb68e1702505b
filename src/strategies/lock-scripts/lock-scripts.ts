import { readFileSync } from 'node:fs';
import type { Result } from 'ioredis';
import type { Redis } from '../../core/redis.js';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    /** fenced-acquire.lua: the fencing token, or 0 if the lock is taken. */
    acquireFencedLock(lockKey: string, fenceKey: string, owner: string, leaseMs: number): Result<number, Context>;
    /** release.lua: 1 if released, 0 if the lock was not this owner's. */
    releaseLock(lockKey: string, owner: string): Result<number, Context>;
    /** fence-catch-up.lua: the counter, raised to at least `newest`. */
    catchUpFence(fenceKey: string, newest: number): Result<number, Context>;
  }
}

const script = (name: string) => readFileSync(new URL(`./${name}`, import.meta.url), 'utf8');

/**
 * Registers the lock scripts on a client. Call it when the client is set up: a command defined
 * while an auto-pipeline is being filled is missing from that pipeline.
 */
export function defineLockScripts(redis: Redis): void {
  if (typeof redis.acquireFencedLock === 'function') return;
  redis.defineCommand('acquireFencedLock', { numberOfKeys: 2, lua: script('fenced-acquire.lua') });
  redis.defineCommand('releaseLock', { numberOfKeys: 1, lua: script('release.lua') });
  redis.defineCommand('catchUpFence', { numberOfKeys: 1, lua: script('fence-catch-up.lua') });
}
