import type { Redis } from '../src/core/redis.js';
import type { MasterShare } from './report.js';
import { median } from './stats.js';

/** One master's counters at one instant: Σ calls and Σ usec over INFO commandstats. */
interface MasterCounters {
  master: string;
  calls: number;
  usec: number;
}

/**
 * Every master's INFO commandstats, summed over its commands (the INFO that reads them left out).
 * Commands a script runs count on their own line as well as inside its EVALSHA, on every master
 * alike: a master's share of the sum is still its share of the work.
 */
export async function masterCounters(redis: Redis): Promise<MasterCounters[]> {
  const masters = 'nodes' in redis ? redis.nodes('master') : [redis];
  return Promise.all(
    masters.map(async (node) => {
      let calls = 0;
      let usec = 0;
      for (const [, command, n, us] of (await node.info('commandstats')).matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) {
        if (command === 'info') continue;
        calls += Number(n);
        usec += Number(us);
      }
      return { master: `${node.options.host}:${node.options.port}`, calls, usec };
    }),
  );
}

/** What each master did between two readings, and its share of what all did. */
export function masterShares(before: MasterCounters[], after: MasterCounters[]): MasterShare[] {
  const done = after.map((end) => {
    const start = before.find((counters) => counters.master === end.master);
    return { master: end.master, commands: end.calls - (start?.calls ?? 0), usec: end.usec - (start?.usec ?? 0) };
  });
  const commands = done.reduce((sum, m) => sum + m.commands, 0);
  const usec = done.reduce((sum, m) => sum + m.usec, 0);
  return done.map((m) => ({ ...m, commandShare: m.commands / Math.max(1, commands), usecShare: m.usec / Math.max(1, usec) }));
}

/** Per master, the median over the runs of each figure; masters in the order of the first run. */
export function medianShares(runs: readonly (readonly MasterShare[])[]): MasterShare[] {
  const masters = runs[0]?.map((share) => share.master) ?? [];
  return masters.map((master) => {
    const each = runs.map((run) => run.find((share) => share.master === master)!).filter(Boolean);
    const of = (pick: (share: MasterShare) => number) => median(each.map(pick));
    return { master, commands: of((s) => s.commands), usec: of((s) => s.usec), commandShare: of((s) => s.commandShare), usecShare: of((s) => s.usecShare) };
  });
}

/** The busiest master's share of Redis CPU (commandstats usec): what bounds one coupon's throughput. */
export function busiestShare(shares: readonly MasterShare[]): number {
  return Math.max(...shares.map((share) => share.usecShare));
}
