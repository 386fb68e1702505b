import { z } from 'zod';
import { CONFIG_DEFAULTS as DEFAULTS, DATABASE_NAME, MYSQL_URL_FORM } from './config-defaults.js';
import { wholeNumberRange } from './whole-numbers.js';

/**
 * Every setting the lab reads, parsed and validated once at start-up.
 * Nothing else in the codebase reads `process.env`: entry points pass the environment
 * (and command-line overrides) here and hand the frozen result down. A value refused is
 * refused in words, with the form expected, never in the parser's terms ("received NaN").
 */
const wholeNumber = (min: number, max?: number) => {
  const error = `must be a whole number ${wholeNumberRange(min, max)}`;
  const atLeast = z.coerce.number({ error }).int({ error }).min(min, { error });
  return max === undefined ? atLeast : atLeast.max(max, { error });
};
const port = () => wholeNumber(0, 65_535);
const REDIS_URL_FORM = 'redis://host:6379 (rediss:// for TLS)';
const redisUrl = z.url({ protocol: /^rediss?$/, error: `must be a URL such as ${REDIS_URL_FORM}` });
const amqpUrl = z.url({ protocol: /^amqps?$/, error: 'must be a URL such as amqp://user:password@host:5672 (amqps:// for TLS)' });
const flag = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0'], { error: 'must be true or false (or 1 or 0)' })
    .default(fallback ? 'true' : 'false')
    .transform((value) => value === 'true' || value === '1');
const oneOf = <const T extends readonly [string, ...string[]]>(values: T) => z.enum(values, { error: `must be one of ${values.join(', ')}` });

export const configSchema = z
  .object({
    /** HTTP port of the API server; 0 picks a free one. */
    PORT: port().default(DEFAULTS.PORT),
    /** MySQL/MariaDB connection; the database in the path is created if missing. */
    MYSQL_URL: z
      .url({ protocol: /^mysql$/, error: `must be a URL such as ${MYSQL_URL_FORM}` })
      .refine(
        (url) => URL.canParse(url) && DATABASE_NAME.test(decodeURIComponent(new URL(url).pathname.slice(1))),
        `must name a database of letters, digits and _: ${MYSQL_URL_FORM}`,
      )
      .default(DEFAULTS.MYSQL_URL),
    /** Redis: one node, or with REDIS_CLUSTER the seed nodes of a Redis Cluster, comma-separated. */
    REDIS_URL: z
      .string()
      .default(DEFAULTS.REDIS_URL)
      .refine(
        (text) => text.split(',').every((url) => redisUrl.safeParse(url.trim()).success),
        `must be a URL such as ${REDIS_URL_FORM}, or a Redis Cluster's nodes, comma-separated`,
      ),
    /**
     * REDIS_URL names a Redis Cluster: every coupon's keys live on the node of its slot, and the
     * consumer reads each coupon's stream by itself rather than many in one call.
     */
    REDIS_CLUSTER: flag(DEFAULTS.REDIS_CLUSTER),
    /**
     * The Redis nodes of redis-lock, comma-separated: with several, a lock needs a majority of
     * them (Redlock), so it outlives the loss of a minority. Unset: REDIS_URL alone.
     */
    LOCK_REDIS_URLS: z
      .string()
      .transform((text) => text.split(',').map((url) => url.trim()))
      .pipe(
        z
          .array(redisUrl)
          .min(1, { error: `must list from 1 to 9 URLs such as ${REDIS_URL_FORM}, comma-separated` })
          .max(9, { error: `must list from 1 to 9 URLs such as ${REDIS_URL_FORM}, comma-separated` })
          // With an even count, two contenders can split the votes evenly and neither ever wins.
          .refine((urls) => urls.length % 2 === 1, 'must list an odd number of nodes (1, 3, 5, …): an even number can split its votes'),
      )
      .optional(),
    /**
     * Strategy used by `POST /v1/coupons/:id/issues` when the request names none: a name of the
     * strategy registry (src/strategies/index.ts), which checks it when the lab is created.
     */
    ISSUE_STRATEGY: z.string().min(1).default(DEFAULTS.ISSUE_STRATEGY),
    /**
     * RabbitMQ, for the broker strategies (incr-broker, incr-broker-confirm) and their consumer. A
     * lab that never issues through them never connects to it.
     */
    AMQP_URL: amqpUrl.default(DEFAULTS.AMQP_URL),
    /**
     * Test-only, 0 (off) by default: each message of a broker strategy waits this long in the server,
     * after its place was counted and before it is published. It holds the gap between the two writes
     * open, so that a fault lands in it for sure; the fault bench and the tests set it, nothing else should.
     */
    BROKER_PUBLISH_DELAY_MS: wholeNumber(0).default(DEFAULTS.BROKER_PUBLISH_DELAY_MS),
    /**
     * Prepended to every Redis key and to the names of the broker strategies' RabbitMQ queues, so
     * two labs can share one Redis and one RabbitMQ.
     */
    REDIS_KEY_PREFIX: z.string().max(64, { error: 'must be at most 64 characters' }).default(DEFAULTS.REDIS_KEY_PREFIX),
    /**
     * How long a request may wait for a lock before LOCK_TIMEOUT (mutex, mutex-in-tx, spin-lock,
     * pubsub-lock, redis-lock, fenced-lock, named-lock), or go on trying before CONTENDED
     * (optimistic's lost races, lua-buckets' search for a place in another bucket).
     */
    LOCK_WAIT_MS: wholeNumber(1).default(DEFAULTS.LOCK_WAIT_MS),
    /** Lease of the Redis lock: it expires on its own after this long if its holder dies. */
    LOCK_LEASE_MS: wholeNumber(1).default(DEFAULTS.LOCK_LEASE_MS),
    /**
     * Extend redis-lock's lease every third of LOCK_LEASE_MS while its holder works (Redisson's
     * watchdog), so a slow transaction keeps the lock. A stopped process stops extending too.
     */
    LOCK_WATCHDOG: flag(DEFAULTS.LOCK_WATCHDOG),
    /** Pause between two attempts to take the Redis lock (plus up to the same again as jitter). */
    LOCK_RETRY_DELAY_MS: wholeNumber(1).default(DEFAULTS.LOCK_RETRY_DELAY_MS),
    /** MySQL connections per process. */
    MYSQL_POOL_SIZE: wholeNumber(1).default(DEFAULTS.MYSQL_POOL_SIZE),
    /**
     * leased-stock: the most places a server process takes from a coupon's count at once, then
     * sells one by one without asking MySQL for the count (docs/strategies.md says how it was chosen).
     */
    LEASE_BLOCK: wholeNumber(1).default(DEFAULTS.LEASE_BLOCK),
    /**
     * leased-stock: how long a block is its process's. Past it, MySQL refuses every write under the
     * block (by MySQL's clock), and any process may give its unsold places back to the coupon.
     */
    LEASE_TTL_MS: wholeNumber(1).default(DEFAULTS.LEASE_TTL_MS),
    /** leased-stock: how often a process that leased a block gives back the blocks whose lease ran out, whoever held them. */
    LEASE_RECLAIM_MS: wholeNumber(1).default(DEFAULTS.LEASE_RECLAIM_MS),
    /** skip-locked: how many rows of units are created at once, when a claim finds none left to take. */
    UNIT_BATCH: wholeNumber(1).default(DEFAULTS.UNIT_BATCH),
    /** Work done inside the critical section, standing for business logic; widens race windows. */
    THINK_MS: wholeNumber(0).default(DEFAULTS.THINK_MS),
    /**
     * Buckets a coupon's places are split over by lua-buckets, each a hash tag of its own: on
     * Redis Cluster, that many slots spread over the masters. Three: one per master of the
     * smallest cluster; more spread no further over three masters and cost a request whose home
     * bucket is empty more looks, and the consumer more streams. A coupon keeps the count it was
     * first split with; every process should run with the same.
     */
    LUA_BUCKETS: wholeNumber(1, 64).default(DEFAULTS.LUA_BUCKETS),
    /** Run migrations when a server or consumer starts. */
    MIGRATE_ON_START: flag(DEFAULTS.MIGRATE_ON_START),
    /** Run the stream consumer inside the API server process. */
    CONSUMER_IN_PROCESS: flag(DEFAULTS.CONSUMER_IN_PROCESS),
    /** Most stream entries the consumer writes to MySQL in one transaction. */
    CONSUMER_BATCH_SIZE: wholeNumber(1).default(DEFAULTS.CONSUMER_BATCH_SIZE),
    /** Entries another consumer left unacknowledged this long are taken over. */
    CONSUMER_CLAIM_IDLE_MS: wholeNumber(1).default(DEFAULTS.CONSUMER_CLAIM_IDLE_MS),
    /**
     * Port of `/metrics`, apart from the API's. Unset: the API server answers `/metrics` on PORT, and a
     * consumer of its own (`npm run consumer`) on 9464. Set: both serve it there only (with
     * `--instances`, the primary process, for all of them). 0 picks a free one.
     */
    METRICS_PORT: port().optional(),
    /**
     * How long the API server keeps an idle keep-alive connection after its last answer (Node
     * closes the socket 1 s later than it announces). Node's default: long enough for a client's
     * next request to reuse the connection, short enough that idle sockets do not pile up. Behind
     * a load balancer, set it above the balancer's own idle timeout.
     */
    HTTP_KEEP_ALIVE_TIMEOUT_MS: wholeNumber(1).default(DEFAULTS.HTTP_KEEP_ALIVE_TIMEOUT_MS),
    /**
     * How long a client may take to send a request's headers, counted from the connection or the
     * previous answer: then 408 and the connection is closed. A few hundred bytes need far less;
     * a client that dribbles them (slowloris) holds a socket this long at most. Above the keep-alive
     * timeout, so a connection is never cut by this timer while it is allowed to sit idle.
     */
    HTTP_HEADERS_TIMEOUT_MS: wholeNumber(1).default(DEFAULTS.HTTP_HEADERS_TIMEOUT_MS),
    /**
     * How long a client may take to send a whole request, body included (at most 16 kB), then 408.
     * The server's own time to answer (a lock wait, say) does not count. At least the headers timeout.
     */
    HTTP_REQUEST_TIMEOUT_MS: wholeNumber(1).default(DEFAULTS.HTTP_REQUEST_TIMEOUT_MS),
    /**
     * Bearer token that creating and changing coupons (`POST /v1/coupons`, `PATCH /v1/coupons/:id`)
     * require. Unset: anyone may, and the server warns at start. Reading and issuing stay open.
     */
    ADMIN_TOKEN: z
      .string()
      .regex(/^[A-Za-z0-9\-._~+/]+=*$/, 'must be a bearer token: letters, digits and -._~+/ (RFC 6750)')
      .optional(),
    /** Least severe log level written, as JSON lines on stderr. */
    LOG_LEVEL: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default(DEFAULTS.LOG_LEVEL),
    /**
     * Which HTTP requests get a log line: `failed` (4xx other than the 409 refusals an issue
     * expects, and 5xx), `all`, or `none`. A line for every request costs the lua path a measurable
     * share of its throughput (docs/results/2026-11-25-metrics-and-logs-cost.md); `failed` costs the
     * normal answers nothing.
     */
    LOG_REQUESTS: oneOf(['failed', 'all', 'none']).default(DEFAULTS.LOG_REQUESTS),
  })
  .superRefine((config, context) => {
    const problem = (key: keyof typeof config, message: string) => context.addIssue({ code: 'custom', path: [key], message });
    // At or below the keep-alive timeout, it would cut connections a client may still keep idle.
    if (config.HTTP_HEADERS_TIMEOUT_MS <= config.HTTP_KEEP_ALIVE_TIMEOUT_MS) problem('HTTP_HEADERS_TIMEOUT_MS', 'must be more than HTTP_KEEP_ALIVE_TIMEOUT_MS');
    // Node refuses a headers timeout above the request timeout.
    if (config.HTTP_REQUEST_TIMEOUT_MS < config.HTTP_HEADERS_TIMEOUT_MS) problem('HTTP_REQUEST_TIMEOUT_MS', 'must be at least HTTP_HEADERS_TIMEOUT_MS');
    if (config.METRICS_PORT && config.METRICS_PORT === config.PORT) problem('METRICS_PORT', 'must differ from PORT');
    // Seeds are for a cluster: several single nodes would be several labs' worth of Redis.
    if (config.REDIS_URL.includes(',') && !config.REDIS_CLUSTER)
      problem('REDIS_URL', 'lists several nodes: set REDIS_CLUSTER=true (or --redis-cluster) if they are a Redis Cluster');
  });

export type Env = Partial<Record<keyof z.input<typeof configSchema>, string | undefined>>;
export type Config = Readonly<z.output<typeof configSchema>>;

/** A setting refused, and why: `must be a whole number of at least 1`. */
export interface ConfigProblem {
  key: string;
  message: string;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(readonly problems: readonly ConfigProblem[]) {
    super(`invalid configuration:\n${problems.map(({ key, message }) => `  ${key}: ${message}`).join('\n')}`);
  }
}

export function loadConfig(env: Record<string, string | undefined>, overrides: Env = {}): Config {
  const merged = { ...pickKnown(env), ...pickKnown(overrides) };
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) throw new ConfigError(parsed.error.issues.map((issue) => ({ key: issue.path.join('.'), message: issue.message })));
  return Object.freeze(parsed.data);
}

/** Empty strings count as unset, so `PORT= npm start` falls back to the default. */
function pickKnown(source: Record<string, string | undefined>): Env {
  const known: Record<string, string> = {};
  for (const key of Object.keys(configSchema.shape)) {
    const value = source[key];
    if (value !== undefined && value !== '') known[key] = value;
  }
  return known;
}
