import { pino, type Logger } from 'pino';
import type { Config } from './config.js';

export type Log = Logger;

const PIPE_BUF = 4096;

/**
 * A logger (pino): one JSON line per event on stderr, so stdout stays free for what a command
 * prints (the bench's JSON, say). Writes are buffered and flushed off the hot path, and again on
 * exit. Errors go under `error`, with their stack. Each program creates one and hands it down.
 */
export function createLog(level: Config['LOG_LEVEL']): Log {
  return pino(
    {
      level,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { error: pino.stdSerializers.err },
    },
    // Whole lines, at most 4096 bytes (PIPE_BUF) a write: the processes of a cluster share stderr,
    // and a write to a pipe up to that size is never interleaved with another process's.
    pino.destination({ fd: 2, sync: false, maxWrite: PIPE_BUF }),
  );
}

/** For what must not write anywhere: a helper's own short-lived connection, say. */
export const silentLog: Log = pino({ level: 'silent' });
