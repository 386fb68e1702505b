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

/**
 * The masters by rank, busiest first (by Redis CPU), each figure the median over the runs of that
 * rank's: a coupon of lua lands on another master in each run, so a median per master would show
 * none busy. Named `busiest`, `2nd`, `3rd`, …; each run keeps its own split by master.
 */
export function medianShares(runs: readonly (readonly MasterShare[])[]): MasterShare[] {
  const ranked = runs.map((run) => [...run].sort((a, b) => b.usecShare - a.usecShare));
  const count = Math.min(...ranked.map((run) => run.length));
  return Array.from({ length: count }, (_, rank) => {
    const at = ranked.map((run) => run[rank]!);
    const of = (pick: (share: MasterShare) => number) => median(at.map(pick));
    return {
      master: rank === 0 ? 'busiest' : ordinal(rank + 1),
      commands: of((s) => s.commands),
      usec: of((s) => s.usec),
      commandShare: of((s) => s.commandShare),
      usecShare: of((s) => s.usecShare),
    };
  });
}

function ordinal(n: number): string {
  return `${n}${n === 2 ? 'nd' : n === 3 ? 'rd' : 'th'}`;
}

/** The busiest master's share of Redis CPU (commandstats usec): what bounds one coupon's throughput. */
export function busiestShare(shares: readonly MasterShare[]): number {
  return Math.max(...shares.map((share) => share.usecShare));
}
