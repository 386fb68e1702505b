import { readFileSync } from 'node:fs';
import type { Result } from 'ioredis';
import type { Redis } from '../../core/redis.js';

/** Return codes of write-terms.lua; the numbers are the script's, the names are what code reads. */
export enum TermsWrite {
  WRITTEN = 1,
  NOT_NEWER = 2,
  NOT_LOADED = 3,
  RESTARTED = 4,
}

/** `load` creates a missing hash; `refresh` only updates one a loader created. */
export type TermsWriteMode = 'load' | 'refresh';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    writeTerms(
      termsKey: string,
      mode: TermsWriteMode,
      version: number,
      total: number,
      startMs: number | '',
      endMs: number | '',
      rebuiltOnRun: string,
    ): Result<TermsWrite, Context>;
    /** add-waiting.lua: [run id, last entry id read or '', entries read]. */
    addWaiting(streamKey: string, requestsKey: string, start: string, count: number): Result<[string, string, number], Context>;
  }
}

/**
 * Registers the script on a client. Call it when the client is set up (the lua strategy does):
 * a command defined while an auto-pipeline is being filled is missing from that pipeline.
 */
export function defineTermsScript(redis: Redis): void {
  if (typeof redis.writeTerms !== 'function') {
    redis.defineCommand('writeTerms', { numberOfKeys: 1, lua: readFileSync(new URL('./write-terms.lua', import.meta.url), 'utf8') });
    redis.defineCommand('addWaiting', { numberOfKeys: 2, lua: readFileSync(new URL('./add-waiting.lua', import.meta.url), 'utf8') });
  }
}
