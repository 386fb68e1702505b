import type { Db } from '../src/core/db.js';
import type { Lab } from '../src/lab.js';
import { METRIC_NAMES } from '../src/core/metrics.js';
import type { Redis } from '../src/core/redis.js';

/** Counters read just before and just after a run's crowd; the differences are what the run cost. */
export interface RunCosts {
  redisCommands: number;
  mysqlQueries: number;
  retries: number;
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
  const [commandsBefore, queriesBefore, retriesBefore] = await Promise.all([commandsProcessed(lab.redis), questions(lab.db), retries(strategy)]);
  const result = await load();
  const [commandsAfter, queriesAfter, retriesAfter] = await Promise.all([commandsProcessed(lab.redis), questions(lab.db), retries(strategy)]);
  // The INFO read before the load is counted by the one after it: one per server.
  const redisCommands = commandsAfter.total - commandsBefore.total - commandsBefore.servers;
  // MySQL counts a SHOW STATUS in the value it shows: the one after the load counts itself.
  const mysqlQueries = queriesAfter - queriesBefore - 1;
  return [result, { redisCommands, mysqlQueries, retries: retriesAfter - retriesBefore }];
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
