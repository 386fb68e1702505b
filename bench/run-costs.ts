import type { Db } from '../src/core/db.js';
import type { Lab } from '../src/lab.js';
import { METRIC_NAMES } from '../src/core/metrics.js';
import type { Redis } from '../src/core/redis.js';
import { masterCounters, masterShares } from './master-shares.js';
import type { MasterShare } from './report.js';
import { cpuMsBetween, readCpu } from './server-cpu.js';

/** Counters read just before and just after a run; the differences are what the run cost. */
export interface RunCosts {
  redisCommands: number;
  mysqlQueries: number;
  retries: number;
  /** On a Redis Cluster, each master's part. */
  masters?: MasterShare[];
  /** The server's CPU time over the load and the drain, ms (server-cpu.ts); absent without a server, or without /proc. */
  serverCpuMs?: number;
}

/** Where a run's costs are read: the lab's Redis, its retries counter, and the server process if there is one. */
export interface CostMeters {
  lab: Lab;
  retries: RetriesCounter;
  /** The server's process (its workers are found below it); none in direct mode. */
  serverPid?: number;
}

/** Where a run's retries are counted: this process's metrics (direct mode) or a server's /metrics. */
export type RetriesCounter = (strategy: string) => Promise<number>;

export function retriesInProcess(lab: Lab): RetriesCounter {
  return async (strategy) => (await lab.metrics.retries.get()).values.find((value) => value.labels.strategy === strategy)?.value ?? 0;
}

export function retriesOnMetrics(metricsUrl: string): RetriesCounter {
  return async (strategy) => {
    const response = await fetch(metricsUrl);
    if (!response.ok) throw new Error(`GET ${metricsUrl}: ${response.status}`);
    const line = new RegExp(`^${METRIC_NAMES.retries}\\{strategy="${strategy}"\\} (\\d+)$`, 'm').exec(await response.text());
    return Number(line?.[1] ?? 0);
  };
}

/**
 * Runs `load`, then `settle` (the drain), and returns what they return and what the run cost:
 * Redis commands and MySQL statements while the load ran (and, on a cluster, each master's part); retries; the
 * server's CPU over both, as the consumer's writing of the run's rows is part of what its requests
 * cost. The /metrics scrapes that count retries cost the server CPU themselves: they are made
 * outside the CPU reading.
 */
export async function withCosts<T, U>(
  { lab, retries, serverPid }: CostMeters,
  strategy: string,
  load: () => Promise<T>,
  settle: () => Promise<U>,
): Promise<[T, U, RunCosts]> {
  const cluster = lab.config.REDIS_CLUSTER;
  const [commandsBefore, queriesBefore, retriesBefore, mastersBefore] = await Promise.all([
    commandsProcessed(lab.redis),
    questions(lab.db),
    retries(strategy),
    cluster ? masterCounters(lab.redis) : [],
  ]);
  const cpuBefore = readCpu(serverPid);
  const loaded = await load();
  const [commandsAfter, queriesAfter, mastersAfter] = await Promise.all([
    commandsProcessed(lab.redis),
    questions(lab.db),
    cluster ? masterCounters(lab.redis) : [],
  ]);
  const settled = await settle();
  const serverCpuMs = cpuMsBetween(cpuBefore, readCpu(serverPid));
  const retriesAfter = await retries(strategy);
  // The INFO reads before the load are counted by those after it: two per server on a cluster, one on one Redis.
  const redisCommands = commandsAfter.total - commandsBefore.total - commandsBefore.servers * (cluster ? 2 : 1);
  // MySQL counts a SHOW STATUS in the value it shows: the one after the load counts itself.
  const mysqlQueries = queriesAfter - queriesBefore - 1;
  const masters = cluster ? { masters: masterShares(mastersBefore, mastersAfter) } : {};
  const cpu = serverCpuMs === undefined ? {} : { serverCpuMs };
  return [loaded, settled, { redisCommands, mysqlQueries, retries: retriesAfter - retriesBefore, ...masters, ...cpu }];
}

/**
 * Statements the MySQL server ran for its clients (Questions: every statement a client sent,
 * BEGIN and COMMIT included), from every client of the server.
 */
async function questions(db: Db): Promise<number> {
  const [rows] = (await db.raw("SHOW GLOBAL STATUS LIKE 'Questions'")) as [{ Value: string }[]];
  return Number(rows[0]?.Value ?? NaN);
}

/** total_commands_processed, summed over a cluster's masters; `servers`: how many were asked. */
async function commandsProcessed(redis: Redis): Promise<{ total: number; servers: number }> {
  const servers = 'nodes' in redis ? redis.nodes('master') : [redis];
  const totals = await Promise.all(servers.map(async (server) => Number(/total_commands_processed:(\d+)/.exec(await server.info('stats'))?.[1] ?? NaN)));
  return { total: totals.reduce((sum, n) => sum + n, 0), servers: servers.length };
}
