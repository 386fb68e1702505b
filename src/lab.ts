import type { Config } from './core/config.js';
import { ConfigError } from './core/config.js';
import type { CouponHooks } from './core/coupon-service.js';
import { createDb, type Db } from './core/db.js';
import { issueQueues } from './core/issue-queue/queues.js';
import { IssuePublisher } from './core/issue-queue/publisher.js';
import { createLog, type Log } from './core/log.js';
import { createMetrics, type Metrics } from './core/metrics.js';
import { closeRedis, createRedis, type Redis } from './core/redis.js';
import { defineScripts } from './redis-scripts/scripts.js';
import { createStrategies, isStrategyName, STRATEGY_NAMES, type Strategies, type StrategyName } from './strategies/index.js';
import { brokerCouponHooks } from './strategies/incr-broker/coupon-hooks.js';
import { combinedHooks } from './strategies/combined-hooks.js';
import { luaCouponHooks } from './strategies/lua/coupon-hooks.js';
import { bucketCouponHooks } from './strategies/lua-buckets/coupon-hooks.js';
import { metricsObserver } from './strategies/observed.js';
import { redisKeys, type RedisKeys } from './core/redis-keys.js';

/** Everything a server, consumer or bench process shares: pools, clients, strategies. */
export interface Lab {
  config: Config;
  log: Log;
  db: Db;
  redis: Redis;
  keys: RedisKeys;
  /** What `/metrics` reports for this process. */
  metrics: Metrics;
  strategies: Strategies;
  /** The strategy of a request that names none: ISSUE_STRATEGY. */
  defaultStrategy: StrategyName;
  /** What the strategies keep of a coupon elsewhere, told of its creation and changes. */
  couponHooks: CouponHooks;
  /** The broker strategies' publisher: it connects to RabbitMQ at its first publish, not before. */
  broker: IssuePublisher;
  close(): Promise<void>;
}

/**
 * The composition root: builds the pools and clients once and hands each part what it needs.
 * `log`: the process's logger, if it has one already (one is made from LOG_LEVEL otherwise).
 */
export function createLab(config: Config, { log = createLog(config.LOG_LEVEL) }: { log?: Log } = {}): Lab {
  const defaultStrategy = checkedStrategy(config.ISSUE_STRATEGY);
  const db = createDb(config.MYSQL_URL, config.MYSQL_POOL_SIZE, log);
  const cluster = config.REDIS_CLUSTER;
  // The scripts are defined before the auto-pipelined client is first used (see defineScripts).
  const redis = defineScripts(createRedis(config.REDIS_URL, { autoPipelining: true, log, cluster }));
  const lockRedis = config.LOCK_REDIS_URLS
    ? config.LOCK_REDIS_URLS.map((url) => createRedis(url, { autoPipelining: false, log }))
    : [createRedis(config.REDIS_URL, { autoPipelining: false, log, cluster })];
  const keys = redisKeys(config.REDIS_KEY_PREFIX);
  const metrics = createMetrics();
  const broker = new IssuePublisher({ url: config.AMQP_URL, queues: issueQueues(config.REDIS_KEY_PREFIX), log, delayMs: config.BROKER_PUBLISH_DELAY_MS });
  const strategies = createStrategies({ config, observer: metricsObserver(metrics), log, db, redis, lockRedis, keys, broker });
  return {
    config,
    log,
    db,
    redis,
    keys,
    metrics,
    strategies,
    defaultStrategy,
    couponHooks: combinedHooks(luaCouponHooks({ db, redis, keys }), bucketCouponHooks({ db, redis, keys, config }), brokerCouponHooks({ db, redis, keys })),
    broker,
    async close() {
      await Promise.allSettled(Object.values(strategies).map(async (strategy) => strategy.close?.()));
      await broker.close();
      await Promise.allSettled([db.destroy(), ...[redis, ...lockRedis].map(closeRedis)]);
    },
  };
}

function checkedStrategy(name: string): StrategyName {
  if (isStrategyName(name)) return name;
  throw new ConfigError([{ key: 'ISSUE_STRATEGY', message: `unknown strategy "${name}"; choose one of ${STRATEGY_NAMES.join(', ')}` }]);
}
