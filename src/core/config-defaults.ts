/**
 * The default of every setting that has one (config.ts says what each means), and the forms some
 * must take. Apart from the schema so that the CLI's help can show them without loading it: `--help`
 * loads no package but commander.
 */
export const CONFIG_DEFAULTS = {
  PORT: 8080,
  MYSQL_URL: 'mysql://root@127.0.0.1:3306/coupon_lab',
  REDIS_URL: 'redis://127.0.0.1:6379',
  REDIS_CLUSTER: false,
  ISSUE_STRATEGY: 'lua',
  AMQP_URL: 'amqp://guest:guest@127.0.0.1:5672',
  BROKER_PUBLISH_DELAY_MS: 0,
  REDIS_KEY_PREFIX: 'coupon-lab:',
  LOCK_WAIT_MS: 10_000,
  LOCK_LEASE_MS: 5_000,
  LOCK_WATCHDOG: false,
  LOCK_RETRY_DELAY_MS: 10,
  MYSQL_POOL_SIZE: 20,
  LEASE_BLOCK: 100,
  LEASE_TTL_MS: 2_000,
  LEASE_RECLAIM_MS: 1_000,
  UNIT_BATCH: 10_000,
  THINK_MS: 0,
  LUA_BUCKETS: 3,
  MIGRATE_ON_START: true,
  CONSUMER_IN_PROCESS: true,
  CONSUMER_BATCH_SIZE: 1_000,
  CONSUMER_CLAIM_IDLE_MS: 5_000,
  HTTP_KEEP_ALIVE_TIMEOUT_MS: 5_000,
  HTTP_HEADERS_TIMEOUT_MS: 10_000,
  HTTP_REQUEST_TIMEOUT_MS: 30_000,
  LOG_LEVEL: 'info',
  LOG_REQUESTS: 'failed',
} as const;

/** The form MYSQL_URL takes, for messages that refuse another. */
export const MYSQL_URL_FORM = 'mysql://user:password@host:3306/database';

/** A database name the lab can use unquoted wherever it names it (CREATE DATABASE, lock names). */
export const DATABASE_NAME = /^[A-Za-z0-9_]+$/;
