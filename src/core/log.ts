import { pino } from 'pino';
import type { Config } from './config.js';

const PIPE_BUF = 4096;

/**
 * The lab's logger (pino): one JSON line per event on stderr, so stdout stays free for what a
 * command prints (the bench's JSON, say). Writes are buffered and flushed off the hot path,
 * and again on exit. Errors go under `error`, with their stack.
 */
export const log = pino(
  {
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    serializers: { error: pino.stdSerializers.err },
  },
  // Whole lines, at most 4096 bytes (PIPE_BUF) a write: the processes of a cluster share stderr,
  // and a write to a pipe up to that size is never interleaved with another process's.
  pino.destination({ fd: 2, sync: false, maxWrite: PIPE_BUF }),
);

/** Sets the level from the configuration; entry points call it once, before anything else logs. */
export function configureLog(config: Pick<Config, 'LOG_LEVEL'>): void {
  log.level = config.LOG_LEVEL;
}
