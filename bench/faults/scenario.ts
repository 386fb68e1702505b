import type { Env } from '../../src/core/config.js';
import type { Lab } from '../../src/lab.js';
import type { Dependency, IssueStrategy } from '../../src/strategies/index.js';
import type { Verdict } from '../../lab-client/verdict.js';
import type { FaultCrowd, PacedCrowd } from './crowd.js';
import type { Fleet } from './fleet.js';
import type { PrivateMariadb, PrivateRabbitmq, PrivateRedis, PrivateRedisCluster, RedisPersistence } from '../../harness/instances.js';

/** The private instances a fault run uses; the fault is injected into these, never the shared ones. */
export interface FaultEnvironment {
  mysql: PrivateMariadb;
  redis: PrivateRedis;
  /** The nodes of LOCK_REDIS_URLS, when the scenario spreads the lock over several. */
  lockNodes: PrivateRedis[];
  /** RabbitMQ, when a strategy of the run publishes to it. */
  broker?: PrivateRabbitmq;
  /** The Redis Cluster of REDIS_URL, when the scenario runs on one (`redis` is then its first node). */
  cluster?: PrivateRedisCluster;
}

/** When a fault began and ended, ms into the crowd, and what it left stranded if anything. */
export interface FaultWindow {
  fromMs: number;
  toMs: number;
  stranded?: Stranded;
}

/** Places a killed process held unsold (leased-stock's blocks), and how long until they were back in the coupon's count. */
export interface Stranded {
  places: number;
  /** From the kill until the last of its blocks was given back; absent if that did not happen within the wait. */
  forMs?: number;
}

/** What an injection sees and may act on. */
export interface RunContext {
  crowd: FaultCrowd;
  env: FaultEnvironment;
  fleet: Fleet;
  /** The bench's own view of the run's Redis and MySQL. */
  lab: Lab;
  couponId: number;
  quantity: number;
  strategy: IssueStrategy;
  /** Said in the report beside the figures. */
  notes: string[];
}

export interface Scenario {
  fault: string;
  variant?: string;
  /** What is done, in a sentence. */
  what: string;
  /** The strategies the fault reaches: every one, the asynchronous ones, those using one of these, or those a test picks. */
  reaches: 'every' | 'asynchronous' | readonly Dependency[] | ((strategy: IssueStrategy) => boolean);
  redis: RedisPersistence;
  /** Run on a private Redis Cluster of this shape instead of one Redis. */
  cluster?: { masters: number; replicas: number };
  /** Every commit of the run's MariaDB takes about this long (µs): its binlog group commit wait. */
  slowCommitUsec?: number;
  lockNodes?: number;
  /** Settings of the servers and the consumer for this fault. */
  settings?: Env;
  /** `skewed`: only users whose lua-buckets home is the first bucket (bench/crowd-users.ts). */
  crowd: PacedCrowd & { quantity: number; skewed?: boolean };
  /** Injects the fault while the crowd runs; resolves with when it began and ended, if it did. */
  inject(context: RunContext): Promise<FaultWindow | undefined>;
  /** Verdicts a strategy may show under this fault besides EXACT: what docs/faults.md explains. */
  allows(strategy: IssueStrategy): Verdict[];
}

export function reaches(scenario: Scenario, strategy: IssueStrategy): boolean {
  if (typeof scenario.reaches === 'function') return scenario.reaches(strategy);
  if (scenario.reaches === 'every') return true;
  if (scenario.reaches === 'asynchronous') return strategy.asynchronous;
  return strategy.uses.some((store) => (scenario.reaches as readonly Dependency[]).includes(store));
}

// What a strategy may show under a fault besides EXACT, read from what it claims (its protection,
// whether it answers before MySQL is written): each scenario in scenarios.ts names one of these.

/** What no fault changes: broken strategies over-issue, an in-process one across two servers. */
export function always(strategy: IssueStrategy): Verdict[] {
  return strategy.protection === 'none' || strategy.protection === 'process' ? ['OVER-ISSUED'] : [];
}

/**
 * Redis lost writes it had acknowledged: what the asynchronous path accepted and had not
 * written is lost (or, if Redis then admitted its place again, revoked), and a lease-based
 * lock whose key was lost can be taken twice.
 */
export function redisLoss(strategy: IssueStrategy): Verdict[] {
  return [
    ...always(strategy),
    ...(strategy.asynchronous ? (['LOST', 'REVOKED'] as const) : []),
    ...(strategy.protection === 'lease' ? (['OVER-ISSUED'] as const) : []),
  ];
}

/**
 * A server or the broker failing between the two writes of a strategy that counts in Redis and
 * hands off through RabbitMQ. Answered before the confirm (incr-broker), a request told yes may never
 * be written (LOST), and a request cut short after its count leaves its place stranded: the crowd is
 * told sold out while places remain (UNDER-ISSUED). Answered after it (incr-broker-confirm), nobody
 * told yes is lost, but places strand the same way, and a confirm that comes too late (or never,
 * for a message RabbitMQ kept) gives back a place still taken, which the MySQL fence revokes.
 */
export function handOffGap(strategy: IssueStrategy): Verdict[] {
  const gap: Record<NonNullable<IssueStrategy['handOff']>, Verdict[]> = {
    'answer-first': ['LOST', 'UNDER-ISSUED', 'REVOKED'],
    'confirm-first': ['UNDER-ISSUED', 'REVOKED'],
  };
  return [...always(strategy), ...(strategy.handOff ? gap[strategy.handOff] : [])];
}

/** A lease that runs out while its holder still works (the lesson of redis-lock). */
export function leaseOutrun(strategy: IssueStrategy): Verdict[] {
  return [...always(strategy), ...(strategy.protection === 'lease' ? (['OVER-ISSUED'] as const) : [])];
}
