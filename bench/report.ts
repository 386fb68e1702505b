import type { Protection } from '../src/strategies/issue-strategy.js';
import type { StrategyName } from '../src/strategies/names.js';
import type { Answers } from '../lab-client/tally.js';
import type { Verdict, Verification } from '../lab-client/verdict.js';

/**
 * What one bench run found. The terminal table, `--json`, `--out` and the HTML report are all
 * rendered from this one object; nothing is measured while rendering.
 */
export interface BenchReport {
  version: 1;
  startedAt: string;
  /** Wall clock of the whole run, server start-up and drains included. */
  wallMs: number;
  machine: Machine;
  /** The code that ran; absent without git. */
  commit?: Commit;
  settings: BenchSettings;
  /** `GET /hello` on the same servers in the same run, per instance count: every /hello run (http mode). */
  baselines: Baseline[];
  results: StrategyResult[];
  /** Raw cost of each layer, measured on the same Redis and MySQL in the same run. */
  floors: Floors;
  /** True when every strategy meant to be exact in its setting was EXACT. */
  ok: boolean;
}

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  /**
   * The 1-minute load average as the run began: how busy the machine was with other work (on 2
   * cores, 2 is full). Figures of runs on a busy machine compare only within the run.
   */
  loadAverage: number;
  os: string;
  node: string;
  /** Its version, and whether it is one server or a cluster (how many masters). */
  redis: string;
  mysql: string;
}

export interface Commit {
  /** `git rev-parse --short HEAD`. */
  hash: string;
  /** The tree held changes the commit does not (`git status --porcelain` said something). */
  dirty: boolean;
}

export type BenchMode = 'http' | 'direct';

export interface BenchSettings {
  mode: BenchMode;
  strategies: StrategyName[];
  instances: number[];
  users: number;
  requestsPerUser: number;
  quantity: number;
  concurrency: number;
  /** Seconds of sustained load with fresh users; absent for a single flash crowd. */
  durationS?: number;
  thinkMs: number;
  repeat: number;
  lockWaitMs: number;
  lockLeaseMs: number;
  lockRetryDelayMs: number;
  mysqlPoolSize: number;
  /** REDIS_URL named a Redis Cluster (its seed nodes). */
  redisCluster: boolean;
  /**
   * Who asks: `uniform` (or absent), users 1, 2, 3, …; `skewed`, only users whose lua-buckets home
   * is bucket 0 of LUA_BUCKETS, so that one bucket runs dry first and the rest is found by its fallback.
   */
  crowd?: CrowdKind;
}

export type CrowdKind = 'uniform' | 'skewed';

/** One Redis master's part of a run's Redis work (a cluster), from INFO commandstats before and after the crowd. */
export interface MasterShare {
  /** host:port in a run; its rank (`busiest`, `2nd`, …) in a strategy's medians. */
  master: string;
  /** Commands it ran (a script's own commands counted besides its EVALSHA). */
  commands: number;
  /** Microseconds of Redis CPU those took (commandstats usec). */
  usec: number;
  /** Its part of every master's commands, 0–1. */
  commandShare: number;
  /** Its part of every master's usec, 0–1. */
  usecShare: number;
}

export interface Baseline {
  instances: number;
  /** Median of the runs' throughput, req/s. */
  throughput: number;
  latency: Latency;
  /** Median of the runs' server CPU per request, µs (see `StrategyResult.serverCpuUsPerRequest`). */
  serverCpuUsPerRequest?: number;
  runs: number[];
}

/** A run of `GET /hello`: what the strategies' runs are measured against. */
export interface HelloResult {
  throughput: number;
  latency: Latency;
  /** CPU time of the server's processes per request answered, µs; absent without /proc. */
  serverCpuUsPerRequest?: number;
}

/** Milliseconds, from an HDR histogram of every request. */
export interface Latency {
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** A crowd's run: what MySQL held for its coupon once everything accepted was written (Verification), and what it cost. */
export interface RunResult extends Verification {
  couponId: number;
  sent: number;
  answers: Answers;
  /** Requests answered per second while the crowd ran. */
  throughput: number;
  latency: Latency;
  elapsedMs: number;
  /**
   * Commands Redis processed while the crowd ran (every master of a cluster): the strategy's, and
   * the little a consumer's reads add. Counted by the server, so another client of the same
   * Redis would count too.
   */
  redisCommands: number;
  /**
   * Statements MySQL ran while the crowd ran (its Questions: BEGIN and COMMIT count, as each is a
   * round trip): the strategy's, and what a consumer wrote meanwhile. Counted by the server, so
   * another client of the same MySQL server counts too.
   */
  mysqlQueries: number;
  /**
   * COUPON_SOLD_OUT answers given while places remained, at least (lab-client/sold-out.ts): all of
   * them if the coupon ended below its quantity, else those received before the last place's row
   * was stamped.
   */
  soldOutWhileAvailable: number;
  /** Issue attempts made again after losing a race while the crowd ran (coupon_lab_issue_retries_total). */
  retries: number;
  /** Each master's part of the run's Redis work, on a Redis Cluster. */
  masters?: MasterShare[];
  /**
   * CPU time of the server's processes (each node:cluster worker, and the primary, where the
   * consumer runs) from just before the crowd until MySQL held what it was told, ms: the
   * consumer's writing of the run's rows included, the bench's own reads not. Read by the bench
   * from /proc/<pid>/task/<tid>/schedstat (server-cpu.ts); absent in direct mode and without /proc.
   */
  serverCpuMs?: number;
  /** From the last answer until MySQL held every accepted request (lua only). */
  drainMs?: number;
  /** Why the bench stopped waiting for the drain, if it did: what was unwritten then counts as lost. */
  drainGaveUp?: string;
}

export interface StrategyResult {
  strategy: StrategyName;
  instances: number;
  protection: Protection;
  /** What the strategy should show in this setting: broken ones, and `mutex` across processes, over-issue. */
  expected: Verdict;
  /** The worst verdict over the runs. */
  verdict: Verdict;
  ok: boolean;
  /** Medians over the runs. */
  throughput: number;
  latency: Latency;
  drainMs?: number;
  /** Median over the runs of Redis commands per request sent. */
  redisCommandsPerRequest: number;
  /** Median over the runs of MySQL statements per request sent. */
  mysqlQueriesPerRequest: number;
  /** The most COUPON_SOLD_OUT answers given while places remained in any run: 0 for a strategy that never says so early. */
  soldOutWhileAvailable: number;
  /** Median over the runs of retries per request answered 201/202. */
  retriesPerSuccess: number;
  /** On a Redis Cluster: the masters by rank, busiest first (`master` is `busiest`, `2nd`, …), medians over the runs of each rank's part. */
  masters?: MasterShare[];
  /** On a Redis Cluster: the busiest master's part of Redis CPU, the median over the runs of each run's busiest. */
  busiestShare?: number;
  /**
   * A projection, not a measurement: the requests/s at which the busiest master would be as busy
   * as one Redis serving the EVALSHA floor (floors.luaScriptPerS ÷ busiestShare). Needs --floors.
   */
  projectedCeiling?: number;
  /**
   * Median over the runs of `serverCpuMs` per request sent, µs: what a request costs the server,
   * which a busy machine moves far less than req/s (http mode, with /proc).
   */
  serverCpuUsPerRequest?: number;
  /** `GET /hello` on the same servers, one run just before each of this strategy's runs (http mode; medians). */
  hello?: HelloResult;
  /** Median over the runs of this run's throughput over its /hello run's (http mode). */
  helloRatio?: number;
  /** Median over the runs of this run's server CPU per request over its /hello run's (http mode, with /proc). */
  helloCpuRatio?: number;
  runs: RunResult[];
}

export interface Floors {
  /** EVALSHA of the issue script through ioredis (auto-pipelined), calls/s. */
  luaScriptPerS?: number;
  /** A raw mysql2 SELECT … FOR UPDATE issue transaction loop on one coupon, tx/s. */
  recordLockTxPerS?: number;
  /** A fresh consumer writing a pre-filled stream to MySQL, rows/s. */
  consumerDrainRowsPerS?: number;
  /** Multi-row INSERT IGNORE of the same number of rows through mysql2, rows/s. */
  bulkInsertRowsPerS?: number;
  /**
   * `GET /hello` on a bare node:http server in a process of its own, no framework, answered by the
   * same writer (http mode): with the same connections and requests as the /hello runs, warmed
   * the same way, medians of as many runs. What Express adds to an answer is the distance from
   * this to the baseline.
   */
  bareHello?: HelloResult;
}
