import { describeCrowd, describeRepeat } from './describe-settings.js';
import { int, micros, ms, perRequest, plural, textTable, times, type Column } from './format.js';
import type { BenchReport, HelloResult, StrategyResult } from '../report.js';
import { worstRun } from '../../lab-client/verdict.js';

export const COLUMNS: Column<StrategyResult>[] = [
  { title: 'strategy', cell: (r) => r.strategy, left: true },
  { title: 'procs', cell: (r) => String(r.instances) },
  { title: 'verdict', cell: (r) => `${r.verdict}${r.ok ? '' : ' ✗'}`, left: true },
  { title: 'expected', cell: (r) => r.expected, left: true },
  { title: 'sent', cell: (r) => int(worstRun(r.runs)?.sent) },
  { title: 'issued', cell: (r) => int(worstRun(r.runs)?.answers.success) },
  { title: 'sold out', cell: (r) => int(worstRun(r.runs)?.answers.soldOut) },
  { title: 'already', cell: (r) => int(worstRun(r.runs)?.answers.alreadyIssued) },
  { title: 'errors', cell: (r) => errors(r) },
  { title: 'rows', cell: (r) => int(worstRun(r.runs)?.rows) },
  { title: 'over', cell: (r) => int(worstRun(r.runs)?.overIssued) },
  { title: 'dup', cell: (r) => int(worstRun(r.runs)?.duplicated) },
  { title: 'lost', cell: (r) => int(worstRun(r.runs)?.lost) },
  { title: 'sold out early', cell: (r) => int(r.soldOutWhileAvailable) },
  { title: 'req/s', cell: (r) => int(r.throughput) },
  { title: '/hello', cell: (r) => times(r.helloRatio) },
  { title: 'cpu µs/req', cell: (r) => micros(r.serverCpuUsPerRequest) },
  { title: 'cpu /hello', cell: (r) => times(r.helloCpuRatio) },
  { title: 'p50 ms', cell: (r) => ms(r.latency.p50) },
  { title: 'p90 ms', cell: (r) => ms(r.latency.p90) },
  { title: 'p99 ms', cell: (r) => ms(r.latency.p99) },
  { title: 'max ms', cell: (r) => ms(r.latency.max) },
  { title: 'drain ms', cell: (r) => ms(r.drainMs) },
  { title: 'redis/req', cell: (r) => perRequest(r.redisCommandsPerRequest) },
  { title: 'mysql/req', cell: (r) => perRequest(r.mysqlQueriesPerRequest) },
  { title: 'retries/ok', cell: (r) => perRequest(r.retriesPerSuccess) },
];

function errors(result: StrategyResult): string {
  const counts = worstRun(result.runs)?.answers.errors ?? {};
  const total = Object.values(counts).reduce((sum, n) => sum + n, 0);
  return total === 0 ? '0' : `${total} (${Object.keys(counts).join(',')})`;
}

/** The report as a terminal table: settings, one row per strategy and setting, then what it means. */
export function renderTable(report: BenchReport): string {
  const { settings: s, machine: m } = report;
  const lines = [
    `Coupon Lab bench — ${s.mode} mode, ${describeCrowd(s)}, concurrency ${s.concurrency}, think ${s.thinkMs} ms, ${describeRepeat(s.repeat)}`,
    `${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}, Redis ${m.redis}, MySQL ${m.mysql}, ${report.startedAt}`,
    ...baselineLines(report),
    '',
    ...textTable(COLUMNS, report.results),
  ];
  if (s.repeat > 1) lines.push('(counts are from the run behind each verdict, the worst; req/s and latencies are medians of all runs)');
  if (s.durationS) lines.push(`(${inFlightNote(s)})`);
  lines.push(...undrainedLines(report), ...masterLines(report));
  const floors = floorsLine(report);
  if (floors) lines.push('', floors);
  lines.push('', summary(report), `Wall clock ${(report.wallMs / 1000).toFixed(1)} s.`);
  return lines.join('\n');
}

/** The floors measured in operations per second, on one line; undefined if none were. */
export function floorsLine(report: BenchReport): string | undefined {
  const f = report.floors;
  const floors = [
    f.luaScriptPerS && `issue.lua EVALSHA ${int(f.luaScriptPerS)}/s`,
    f.consumerDrainRowsPerS && `consumer drain ${int(f.consumerDrainRowsPerS)} rows/s`,
    f.bulkInsertRowsPerS && `raw INSERT IGNORE ${int(f.bulkInsertRowsPerS)} rows/s`,
    f.recordLockTxPerS && `raw SELECT … FOR UPDATE transaction ${int(f.recordLockTxPerS)}/s`,
  ].filter(Boolean);
  return floors.length ? `Floors: ${floors.join('; ')}` : undefined;
}

/** The /hello runs each strategy is measured against, and the bare node:http floor under them (--floors). */
export function baselineLines(report: BenchReport): string[] {
  const hello = (what: string, h: HelloResult) =>
    `${what}: ${int(h.throughput)} req/s, p99 ${ms(h.latency.p99)} ms${h.serverCpuUsPerRequest === undefined ? '' : `, ${micros(h.serverCpuUsPerRequest)} µs server CPU per request`}`;
  const lines = report.baselines.map((b) => hello(`GET /hello with ${plural(b.instances, 'process')}`, b));
  const bare = report.floors.bareHello;
  if (bare) {
    const share = frameworkShare(report);
    const adds = share ? `; Express adds ${micros(share.addedUs)} µs of the ${micros(share.ofUs)} its /hello costs (${Math.round(share.fraction * 100)}%)` : '';
    lines.push(`${hello('GET /hello on bare node:http, 1 process, no framework', bare)}${adds}`);
  }
  return lines;
}

/** What Express adds to the CPU of an answer: one process's /hello against the bare node:http one, µs per request. */
export function frameworkShare(report: BenchReport): { addedUs: number; ofUs: number; fraction: number } | undefined {
  const bare = report.floors.bareHello?.serverCpuUsPerRequest;
  const express = report.baselines.find((b) => b.instances === 1)?.serverCpuUsPerRequest;
  if (bare === undefined || express === undefined) return undefined;
  return { addedUs: express - bare, ofUs: express, fraction: (express - bare) / express };
}

const percent = (share: number) => `${Math.round(share * 100)}%`;

/** A sustained run's last requests: why sent exceeds the answers, and rows may too. */
export function inFlightNote(s: BenchReport['settings']): string {
  return `When the time is up, up to ${int(s.concurrency)} requests are still in flight: sent counts them, the answer columns do not, and rows holds those that were written`;
}

/** On a Redis Cluster: how each strategy's Redis work fell over the masters. */
function masterLines(report: BenchReport): string[] {
  const split = report.results.filter((r) => r.masters?.length);
  if (split.length === 0) return [];
  return [
    '',
    "Per master (Redis Cluster): each master's share of the run's Redis commands / of Redis CPU (INFO commandstats usec), busiest first, medians of the runs by rank",
    ...split.map((r) => {
      const masters = r.masters!.map((m) => `${m.master} ${percent(m.commandShare)} / ${percent(m.usecShare)}`).join(', ');
      const ceiling = r.projectedCeiling ? `; projected ceiling ${int(r.projectedCeiling)} req/s (a projection: EVALSHA floor ÷ busiest share)` : '';
      return `  ${r.strategy} (${plural(r.instances, 'process')}): ${masters}; busiest ${percent(r.busiestShare ?? 0)} of Redis CPU${ceiling}`;
    }),
  ];
}

/** Runs whose drain the bench stopped waiting for: their unwritten requests count as lost. */
export function undrainedLines(report: BenchReport): string[] {
  return report.results.flatMap((r) =>
    r.runs.flatMap((run, i) =>
      run.drainGaveUp ? [`${r.strategy} (${plural(r.instances, 'process')}), run ${i + 1}: stopped waiting for the consumer: ${run.drainGaveUp}`] : [],
    ),
  );
}

export function summary(report: BenchReport): string {
  const failed = report.results.filter((r) => !r.ok);
  const missed = report.results.filter((r) => r.expected !== 'EXACT' && r.verdict === 'EXACT');
  const parts = [
    failed.length === 0
      ? 'Every strategy meant to be exact here was EXACT.'
      : `NOT EXACT: ${failed.map((r) => `${r.strategy} (${plural(r.instances, 'process')}): ${r.verdict}`).join(', ')}.`,
  ];
  if (missed.length) {
    parts.push(
      `Expected to over-issue but did not this time (the race was not hit): ${missed.map((r) => `${r.strategy} (${plural(r.instances, 'process')})`).join(', ')}.`,
    );
  }
  return parts.join(' ');
}
