import { z } from 'zod';

/**
 * Every setting the lab reads, parsed and validated once at start-up.
 * Nothing else in the codebase reads `process.env`: entry points pass the environment
 * (and command-line overrides) here and hand the frozen result down.
 */
const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const nonNegativeInt = (fallback: number) => z.coerce.number().int().min(0).default(fallback);
const redisUrl = z.url({ protocol: /^rediss?$/ });
const flag = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0'])
    .default(fallback ? 'true' : 'false')
    .transform((value) => value === 'true' || value === '1');

export const configSchema = z
  .object({
    /** HTTP port of the API server; 0 picks a free one. */
    PORT: z.coerce.number().int().min(0).max(65535).default(8080),
    /** MySQL/MariaDB connection; the database in the path is created if missing. */
    MYSQL_URL: z.url({ protocol: /^mysql$/ }).default('mysql://root@127.0.0.1:3306/coupon_lab'),
    /** Redis: one node, or with REDIS_CLUSTER the seed nodes of a Redis Cluster, comma-separated. */
    REDIS_URL: z
      .string()
      .default('redis://127.0.0.1:6379')
      .refine((text) => text.split(',').every((url) => redisUrl.safeParse(url.trim()).success), 'must be a redis:// URL, or a comma-separated list of them'),
    /**
     * REDIS_URL names a Redis Cluster: every coupon's keys live on the node of its slot, and the
     * consumer reads each coupon's stream by itself rather than many in one call.
     */
    REDIS_CLUSTER: flag(false),
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
          .min(1)
          .max(9)
          // With an even count, two contenders can split the votes evenly and neither ever wins.
          .refine((urls) => urls.length % 2 === 1, 'must list an odd number of nodes (1, 3, 5, …): an even number can split its votes'),
      )
      .optional(),
    /**
     * Strategy used by `POST /v1/coupons/:id/issues` when the request names none: a name of the
     * strategy registry (src/strategies/index.ts), which checks it when the lab is created.
     */
    ISSUE_STRATEGY: z.string().min(1).default('lua'),
    /** Prepended to every Redis key, so two labs can share one Redis. */
    REDIS_KEY_PREFIX: z.string().max(64).default('coupon-lab:'),
    /** How long a request may wait for a lock (mutex, redis-lock) before LOCK_TIMEOUT. */
    LOCK_WAIT_MS: positiveInt(10_000),
    /** Lease of the Redis lock: it expires on its own after this long if its holder dies. */
    LOCK_LEASE_MS: positiveInt(5_000),
    /**
     * Extend redis-lock's lease every third of LOCK_LEASE_MS while its holder works (Redisson's
     * watchdog), so a slow transaction keeps the lock. A stopped process stops extending too.
     */
    LOCK_WATCHDOG: flag(false),
    /** Pause between two attempts to take the Redis lock (plus up to the same again as jitter). */
    LOCK_RETRY_DELAY_MS: positiveInt(10),
    /** MySQL connections per process. */
    MYSQL_POOL_SIZE: positiveInt(20),
    /**
     * leased-stock: the most places a server process takes from a coupon's count at once, then
     * sells one by one without asking MySQL for the count (docs/strategies.md says how it was chosen).
     */
    LEASE_BLOCK: positiveInt(100),
    /**
     * leased-stock: how long a block is its process's. Past it, MySQL refuses every write under the
     * block (by MySQL's clock), and any process may give its unsold places back to the coupon.
     */
    LEASE_TTL_MS: positiveInt(2_000),
    /** leased-stock: how often a process that leased a block gives back the blocks whose lease ran out, whoever held them. */
    LEASE_RECLAIM_MS: positiveInt(1_000),
    /** skip-locked: how many rows of units are created at once, when a claim finds none left to take. */
    UNIT_BATCH: positiveInt(1_000),
    /** Work done inside the critical section, standing for business logic; widens race windows. */
    THINK_MS: nonNegativeInt(0),
    /** Run migrations when a server or consumer starts. */
    MIGRATE_ON_START: flag(true),
    /** Run the stream consumer inside the API server process. */
    CONSUMER_IN_PROCESS: flag(true),
    /** Most stream entries the consumer writes to MySQL in one transaction. */
    CONSUMER_BATCH_SIZE: positiveInt(1_000),
    /** Entries another consumer left unacknowledged this long are taken over. */
    CONSUMER_CLAIM_IDLE_MS: positiveInt(5_000),
    /**
     * Port of `/metrics`, apart from the API's. Unset: the API server answers `/metrics` on PORT, and a
     * consumer of its own (`npm run consumer`) on 9464. Set: both serve it there only (with
     * `--instances`, the primary process, for all of them). 0 picks a free one.
     */
    METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
    /**
     * How long the API server keeps an idle keep-alive connection after its last answer (Node
     * closes the socket 1 s later than it announces). Node's default: long enough for a client's
     * next request to reuse the connection, short enough that idle sockets do not pile up. Behind
     * a load balancer, set it above the balancer's own idle timeout.
     */
    HTTP_KEEP_ALIVE_TIMEOUT_MS: positiveInt(5_000),
    /**
     * How long a client may take to send a request's headers, counted from the connection or the
     * previous answer: then 408 and the connection is closed. A few hundred bytes need far less;
     * a client that dribbles them (slowloris) holds a socket this long at most. Above the keep-alive
     * timeout, so a connection is never cut by this timer while it is allowed to sit idle.
     */
    HTTP_HEADERS_TIMEOUT_MS: positiveInt(10_000),
    /**
     * How long a client may take to send a whole request, body included (at most 16 kB), then 408.
     * The server's own time to answer (a lock wait, say) does not count. At least the headers timeout.
     */
    HTTP_REQUEST_TIMEOUT_MS: positiveInt(30_000),
    /**
     * Bearer token that creating and changing coupons (`POST /v1/coupons`, `PATCH /v1/coupons/:id`)
     * require. Unset: anyone may, and the server warns at start. Reading and issuing stay open.
     */
    ADMIN_TOKEN: z
      .string()
      .regex(/^[A-Za-z0-9\-._~+/]+=*$/, 'must be a bearer token: letters, digits and -._~+/ (RFC 6750)')
      .optional(),
    /** Least severe log level written, as JSON lines on stderr. */
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /**
     * Which HTTP requests get a log line: `failed` (4xx other than the 409 refusals an issue
     * expects, and 5xx), `all`, or `none`. A line for every request costs the lua path several
     * percent of its throughput (README, "Metrics and logs"); `failed` costs the normal answers nothing.
     */
    LOG_REQUESTS: z.enum(['failed', 'all', 'none']).default('failed'),
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
      problem('REDIS_URL', 'lists several nodes: set REDIS_CLUSTER=true if they are a Redis Cluster');
  });

export type Env = Partial<Record<keyof z.input<typeof configSchema>, string | undefined>>;
export type Config = Readonly<z.output<typeof configSchema>>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function loadConfig(env: Record<string, string | undefined>, overrides: Env = {}): Config {
  const merged = { ...pickKnown(env), ...pickKnown(overrides) };
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`invalid configuration:\n${problems.join('\n')}`);
  }
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
