import type { Lab } from '../src/lab.js';
import { METRIC_NAMES } from '../src/core/metrics.js';
import type { Redis } from '../src/core/redis.js';
import { masterCounters, masterShares } from './master-shares.js';
import type { MasterShare } from './report.js';

/** Counters read just before and just after a run's crowd; the differences are what the run cost. */
export interface RunCosts {
  redisCommands: number;
  retries: number;
  /** On a Redis Cluster, each master's part. */
  masters?: MasterShare[];
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

/** Runs `load`, and returns what it cost in Redis commands and retries besides what it returns. */
export async function withCosts<T>(lab: Lab, retries: RetriesCounter, strategy: string, load: () => Promise<T>): Promise<[T, RunCosts]> {
  const cluster = lab.config.REDIS_CLUSTER;
  const [commandsBefore, retriesBefore, mastersBefore] = await Promise.all([
    commandsProcessed(lab.redis),
    retries(strategy),
    cluster ? masterCounters(lab.redis) : [],
  ]);
  const result = await load();
  const [commandsAfter, retriesAfter, mastersAfter] = await Promise.all([
    commandsProcessed(lab.redis),
    retries(strategy),
    cluster ? masterCounters(lab.redis) : [],
  ]);
  // The INFO reads before the load are counted by those after it: two per server on a cluster, one on one Redis.
  const redisCommands = commandsAfter.total - commandsBefore.total - commandsBefore.servers * (cluster ? 2 : 1);
  const masters = cluster ? { masters: masterShares(mastersBefore, mastersAfter) } : {};
  return [result, { redisCommands, retries: retriesAfter - retriesBefore, ...masters }];
}

/** total_commands_processed, summed over a cluster's masters; `servers`: how many were asked. */
async function commandsProcessed(redis: Redis): Promise<{ total: number; servers: number }> {
  const servers = 'nodes' in redis ? redis.nodes('master') : [redis];
  const totals = await Promise.all(servers.map(async (server) => Number(/total_commands_processed:(\d+)/.exec(await server.info('stats'))?.[1] ?? NaN)));
  return { total: totals.reduce((sum, n) => sum + n, 0), servers: servers.length };
}
