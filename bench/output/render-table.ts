import { int, ms, perRequest, textTable, type Column } from './format.js';
import type { BenchReport, StrategyResult } from '../report.js';
import { worstRun } from '../../lab-client/verdict.js';

const ratio = (n: number | undefined) => (n === undefined ? '-' : `${n.toFixed(2)}×`);

const COLUMNS: Column<StrategyResult>[] = [
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
  { title: '/hello', cell: (r) => ratio(r.helloRatio) },
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
  const crowd = s.durationS ? `${s.durationS} s of fresh users` : `${int(s.users)} users × ${s.requestsPerUser} for ${int(s.quantity)} coupons`;
  const lines = [
    `Coupon Lab bench — ${s.mode} mode, ${crowd}, concurrency ${s.concurrency}, think ${s.thinkMs} ms, ${s.repeat} run(s) each (medians)`,
    `${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}, Redis ${m.redis}, MySQL ${m.mysql}, ${report.startedAt}`,
    ...report.baselines.map((b) => `GET /hello with ${b.instances} process(es): ${int(b.throughput)} req/s, p99 ${ms(b.latency.p99)} ms`),
    '',
    ...textTable(COLUMNS, report.results),
  ];
  if (s.repeat > 1) lines.push('(counts are from the run behind each verdict, the worst; req/s and latencies are medians of all runs)');
  lines.push(...undrainedLines(report));
  const f = report.floors;
  const floors = [
    f.luaScriptPerS && `issue.lua EVALSHA ${int(f.luaScriptPerS)}/s`,
    f.consumerDrainRowsPerS && `consumer drain ${int(f.consumerDrainRowsPerS)} rows/s`,
    f.bulkInsertRowsPerS && `raw INSERT IGNORE ${int(f.bulkInsertRowsPerS)} rows/s`,
    f.recordLockTxPerS && `raw SELECT … FOR UPDATE transaction ${int(f.recordLockTxPerS)}/s`,
  ].filter(Boolean);
  if (floors.length) lines.push('', `Floors: ${floors.join('; ')}`);
  lines.push('', summary(report), `Wall clock ${(report.wallMs / 1000).toFixed(1)} s.`);
  return lines.join('\n');
}

/** Runs whose drain the bench stopped waiting for: their unwritten requests count as lost. */
function undrainedLines(report: BenchReport): string[] {
  return report.results.flatMap((r) =>
    r.runs.flatMap((run, i) =>
      run.drainGaveUp ? [`${r.strategy} (${r.instances} procs), run ${i + 1}: stopped waiting for the consumer: ${run.drainGaveUp}`] : [],
    ),
  );
}

function summary(report: BenchReport): string {
  const failed = report.results.filter((r) => !r.ok);
  const missed = report.results.filter((r) => r.expected !== 'EXACT' && r.verdict === 'EXACT');
  const parts = [
    failed.length === 0
      ? 'Every strategy meant to be exact here was EXACT.'
      : `NOT EXACT: ${failed.map((r) => `${r.strategy} (${r.instances} procs): ${r.verdict}`).join(', ')}.`,
  ];
  if (missed.length) {
    parts.push(`Expected to over-issue but did not this time (the race was not hit): ${missed.map((r) => `${r.strategy} (${r.instances} procs)`).join(', ')}.`);
  }
  return parts.join(' ');
}
