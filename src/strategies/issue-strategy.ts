import type { Config, Env } from '../core/config.js';
import type { IssueRequest, Refusal } from '../core/coupon.js';
import type { Db } from '../core/db.js';
import type { IssuePublisher } from '../core/issue-queue/publisher.js';
import type { Log } from '../core/log.js';
import type { Redis } from '../core/redis.js';
import type { RedisKeys } from '../core/redis-keys.js';

/**
 * The answer to one issue request. `issued`: the row is committed. `accepted`: the request
 * holds a place and will be written by the consumer. `refused`: a normal "no".
 * Failures (lock timeout, a service down) are thrown as errors from `core/errors.ts`.
 */
export type IssueResult = { outcome: 'issued' } | { outcome: 'accepted' } | { outcome: 'refused'; code: Refusal };

/**
 * How far a strategy's protection reaches: `none` over-issues under concurrency, `process`
 * holds within one server process only, `lease` across processes while a lock's lease holds
 * (a commit or a pause that outlasts it breaks it), `fault-free` across processes while nothing
 * fails between its two writes (a count in Redis, then a message to RabbitMQ: a failure between
 * them strands the place, or loses a request told yes), `global` across any number of processes
 * whatever the timing.
 */
export type Protection = 'none' | 'process' | 'lease' | 'fault-free' | 'global';

/**
 * A store a request through a strategy relies on: MySQL, Redis (REDIS_URL), the nodes of
 * LOCK_REDIS_URLS (REDIS_URL by default), or RabbitMQ (AMQP_URL). The fault bench injects a
 * fault where it reaches.
 */
export type Dependency = 'mysql' | 'redis' | 'lock-redis' | 'broker';

/**
 * When a strategy that counts a place in Redis and hands the request to its consumer through
 * RabbitMQ answers: `answer-first` before RabbitMQ has confirmed the message (as the course teaches
 * it), `confirm-first` only once it has.
 */
export type HandOff = 'answer-first' | 'confirm-first';

/**
 * What `coupon_lab_lock_wait_seconds` counts for a strategy: one wait for each request that got
 * its lock, one for each transaction attempt (a retry after a deadlock waits again), or none.
 */
export type LockWaits = 'each request' | 'each attempt' | 'none';

/**
 * How a strategy guards the quantity, told to a person choosing one (the console shows it as the
 * strategy's card). Written beside the code it describes, so that it changes with it.
 */
export interface StrategyCard {
  /** What one request goes through, in order, a few words each. */
  steps: readonly string[];
  /** What it needs to run: stores, columns, processes. */
  needs: string;
  /** How it goes wrong, or what it costs. */
  pitfall: string;
}

export interface IssueStrategy {
  /** Its name in the registry (src/strategies/index.ts), which checks that they agree. */
  readonly name: string;
  readonly protection: Protection;
  readonly uses: readonly Dependency[];
  readonly lockWaits: LockWaits;
  /** True if a success is only accepted (202) and written to MySQL later by the consumer. */
  readonly asynchronous: boolean;
  /** Set for a strategy whose place and hand-off are two writes to two stores (see HandOff). */
  readonly handOff?: HandOff;
  readonly card: StrategyCard;
  /**
   * Settings worth comparing the strategy under, by name (redis-lock's watchdog): the fault
   * bench runs the strategy with each of them too.
   */
  readonly variants?: Readonly<Record<string, Env>>;
  issue(request: IssueRequest): Promise<IssueResult>;
  /** Closes what the strategy opened for itself (a subscriber connection, a pool of its own). */
  close?(): Promise<void>;
}

/** How a request ended, as counted on `/metrics`. */
export type AnswerOutcome = 'issued' | 'accepted' | 'refused' | 'failed';

/**
 * Told about every answer a strategy gives and every lock it waits for; the lab feeds
 * `/metrics` with it. Plain numbers and names, so strategies know nothing of Prometheus.
 */
export interface StrategyObserver {
  /** `code` is the refusal or error code, or ISSUED / ACCEPTED. */
  answered(strategy: string, outcome: AnswerOutcome, code: string, elapsedMs: number): void;
  /** Called once the request holds its lock: a mutex, the Redis lock, or the coupon's row lock. */
  lockAcquired(strategy: string, waitedMs: number): void;
  /** Called each time a request tries again after losing a race (an optimistic write beaten to it). */
  retried(strategy: string): void;
  /** Called for each message RabbitMQ did not confirm (refused, or the connection lost first) after its request was answered yes. */
  handOffFailed(strategy: string): void;
}

export interface StrategyDeps {
  config: Config;
  observer: StrategyObserver;
  log: Log;
  db: Db;
  /** Shared, auto-pipelined connection; never used for blocking commands. */
  redis: Redis;
  /**
   * Plain connections for Redlock, one per node of LOCK_REDIS_URLS (REDIS_URL alone by
   * default). Redlock defines its scripts on first use, and a command defined while an
   * auto-pipeline is being filled breaks that pipeline (ioredis #1931).
   */
  lockRedis: readonly Redis[];
  keys: RedisKeys;
  /** Publishes to the broker strategies' RabbitMQ queue; connects at its first publish. */
  broker: IssuePublisher;
}

export type StrategyFactory = (deps: StrategyDeps) => IssueStrategy;

export const ISSUED: IssueResult = Object.freeze({ outcome: 'issued' });
export const ACCEPTED: IssueResult = Object.freeze({ outcome: 'accepted' });

export function refused(code: Refusal): IssueResult {
  return { outcome: 'refused', code };
}
