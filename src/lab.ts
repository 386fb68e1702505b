import type { Config } from './core/config.js';
import { createDb, type Db } from './core/db.js';
import { createMetrics, strategyObserver, type Metrics } from './core/metrics.js';
import { closeRedis, createRedis, redisKeys, type Redis, type RedisKeys } from './core/redis.js';
import { createStrategies, type Strategies } from './strategies/index.js';

/** Everything a server, consumer or bench process shares: pools, clients, strategies. */
export interface Lab {
  config: Config;
  db: Db;
  redis: Redis;
  keys: RedisKeys;
  /** What `/metrics` reports for this process. */
  metrics: Metrics;
  strategies: Strategies;
  close(): Promise<void>;
}

export function createLab(config: Config): Lab {
  const db = createDb(config.MYSQL_URL, config.MYSQL_POOL_SIZE);
  const redis = createRedis(config.REDIS_URL, { autoPipelining: true });
  const lockRedis = (config.LOCK_REDIS_URLS ?? [config.REDIS_URL]).map((url) => createRedis(url, { autoPipelining: false }));
  const keys = redisKeys(config.REDIS_KEY_PREFIX);
  const metrics = createMetrics();
  const strategies = createStrategies({ config, observer: strategyObserver(metrics), db, redis, lockRedis, keys });
  return {
    config,
    db,
    redis,
    keys,
    metrics,
    strategies,
    async close() {
      await Promise.allSettled([db.destroy(), ...[redis, ...lockRedis].map(closeRedis)]);
    },
  };
}
