import type { Config } from '../src/core/config.js';
import type { BenchSettings } from './report.js';

// The commands' definitions import this module, so `coupon-lab --help` does: types and numbers only.

/**
 * The bounds of what a race may ask for, the one table behind the CLI's options and the console's
 * form: neither can launch a crowd the other could not.
 */
export const RACE_LIMITS = {
  users: { min: 1, max: 1_000_000 },
  requestsPerUser: { min: 1, max: 1_000 },
  quantity: { min: 1, max: 1_000_000_000 },
  concurrency: { min: 1, max: 10_000 },
  instances: { min: 1, max: 16 },
  repeat: { min: 1, max: 100 },
  durationS: { min: 1, max: 3_600 },
} as const satisfies Record<string, { min: number; max: number }>;

/** What a race sends and where, as the CLI's flags or the console's form say it; the rest is the lab's configuration. */
export type Race = Pick<BenchSettings, 'mode' | 'strategies' | 'instances' | 'users' | 'requestsPerUser' | 'quantity' | 'concurrency' | 'durationS' | 'repeat'>;

/** A race's settings with those the servers run with, from the lab's configuration. */
export function benchSettings(race: Race, config: Config): BenchSettings {
  return {
    ...race,
    thinkMs: config.THINK_MS,
    lockWaitMs: config.LOCK_WAIT_MS,
    lockLeaseMs: config.LOCK_LEASE_MS,
    lockRetryDelayMs: config.LOCK_RETRY_DELAY_MS,
    mysqlPoolSize: config.MYSQL_POOL_SIZE,
    redisCluster: config.REDIS_CLUSTER,
  };
}
