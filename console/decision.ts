import type { StrategyResult } from '../bench/report.js';
import type { DecisionRow, RaceFigures, Sourced, StrategyEntry } from './contract.js';
import { faultLabel, type StoredRun } from './runs-store.js';

/**
 * The decision table of the README, assembled from the runs saved: for each strategy, its latest
 * flash-crowd race on one process and on several, and its latest run under each fault, every figure
 * with the run it came from. A sustained run (fresh users for some seconds) never sells out, so its
 * verdict says nothing of exactness: only flash crowds count.
 */
export function decisionTable(runs: readonly StoredRun[], strategies: readonly StrategyEntry[]): DecisionRow[] {
  const newestFirst = [...runs].sort((a, b) => b.stored.report.startedAt.localeCompare(a.stored.report.startedAt));
  return strategies.map((entry) => ({
    strategy: entry.name,
    protection: entry.protection,
    needs: entry.card.needs,
    oneProcess: latestRace(newestFirst, entry.name, (instances) => instances === 1),
    processes: latestRace(newestFirst, entry.name, (instances) => instances > 1),
    faults: latestFaults(newestFirst, entry.name),
  }));
}

function latestRace(runs: readonly StoredRun[], strategy: string, setting: (instances: number) => boolean): Sourced<RaceFigures> | undefined {
  for (const { id, stored } of runs) {
    if (stored.kind !== 'race' || stored.report.settings.durationS) continue;
    const result = stored.report.results.find((r) => r.strategy === strategy && setting(r.instances));
    if (result) return { value: figures(result), runId: id };
  }
  return undefined;
}

function figures(r: StrategyResult): RaceFigures {
  return { instances: r.instances, verdict: r.verdict, ok: r.ok, throughput: r.throughput, p99: r.latency.p99 };
}

function latestFaults(runs: readonly StoredRun[], strategy: string): DecisionRow['faults'] {
  const seen = new Map<string, DecisionRow['faults'][number]>();
  for (const { id, stored } of runs) {
    if (stored.kind !== 'faults') continue;
    for (const run of stored.report.runs.filter((r) => r.strategy === strategy)) {
      const label = `${faultLabel(run)}${run.setting ? `, ${run.setting}` : ''}`;
      if (!seen.has(label)) seen.set(label, { label, run: { value: { verdict: run.verdict, ok: run.ok }, runId: id } });
    }
  }
  return [...seen.values()].sort((a, b) => a.label.localeCompare(b.label));
}
