import { worstRun } from '../../lab-client/verdict.js';
import { escapeHtml as escape, htmlPage, int, ms, perRequest } from './format.js';
import { barChart, lineChart, protectionLegend, type Bar } from './html-charts.js';
import type { BenchReport, Floors, StrategyResult } from '../report.js';

/**
 * The report as one HTML file that opens offline: charts are inline SVG, no script, no CDN.
 * Numbers are written as the terminal table writes them (format.ts); each also carries its exact
 * value in `data-value`, and the report's JSON is embedded, so a reader (or a test) can check one
 * against the other.
 */
export function renderHtml(report: BenchReport): string {
  const m = report.machine;
  const body = `<h1>Coupon Lab bench</h1>
<p class="muted">${escape(describeRun(report))}<br>${m.cpus} × ${escape(m.cpuModel)}, ${m.memoryGiB} GiB, ${escape(m.os)}, Node ${escape(m.node)},
Redis ${escape(m.redis)}, MySQL ${escape(m.mysql)} — ${escape(report.startedAt)}, wall clock ${(report.wallMs / 1000).toFixed(1)} s</p>
<p class="${report.ok ? 'good' : 'bad'}" id="outcome">${report.ok ? 'Every strategy meant to be exact was EXACT.' : 'A strategy meant to be exact was not.'}</p>
<h2>Verdicts</h2>
${verdictTable(report)}
${raceNotHit(report)}
${baselineSection(report)}
${floorsSection(report.floors)}
<h2>Charts</h2>
${protectionLegend()}
<div class="charts">${charts(report).join('\n')}</div>`;
  return htmlPage(`Coupon Lab bench ${report.startedAt}`, body, 'bench-report', report);
}

function charts(report: BenchReport): string[] {
  const several = report.settings.instances.length > 1;
  const bars = (value: (r: StrategyResult) => number): Bar[] =>
    report.results.map((r) => ({
      label: several ? `${r.strategy} ×${r.instances}` : r.strategy,
      value: value(r),
      protection: r.protection,
      data: { strategy: r.strategy, instances: r.instances },
    }));
  const list = [
    barChart(
      'throughput',
      'Throughput',
      bars((r) => r.throughput),
      (v) => `${int(v)} req/s`,
    ),
    barChart(
      'p99',
      'Latency p99',
      bars((r) => r.latency.p99),
      (v) => `${ms(v)} ms`,
    ),
    barChart(
      'over-issued',
      'Over-issued rows (worst run)',
      bars((r) => Math.max(...r.runs.map((run) => run.overIssued))),
      (v) => `${int(v)} row${v === 1 ? '' : 's'}`,
    ),
  ];
  if (several) {
    const series = report.settings.strategies.map((name) => ({
      name,
      points: report.results.filter((r) => r.strategy === name).map((r) => ({ x: r.instances, value: r.throughput })),
    }));
    list.push(lineChart('scale', 'Throughput (req/s) by server processes', report.settings.instances, series, int));
  }
  return list;
}

/** A strategy expected to over-issue that came out exact: the race was not hit this time, which fails nothing. */
function raceNotHit(report: BenchReport): string {
  const missed = report.results.filter((r) => r.expected !== 'EXACT' && r.verdict === 'EXACT');
  if (missed.length === 0) return '';
  const names = missed.map((r) => `${escape(r.strategy)} (${r.instances} processes)`).join(', ');
  return `<p class="muted">Expected to over-issue but exact this time (the race was not hit): ${names}. --think-ms widens the window.</p>`;
}

function describeRun(report: BenchReport): string {
  const s = report.settings;
  const crowd = s.durationS ? `${s.durationS} s of fresh users` : `${int(s.users)} users × ${s.requestsPerUser} for ${int(s.quantity)} coupons`;
  return `${s.mode} mode, ${crowd}, concurrency ${s.concurrency}, think ${s.thinkMs} ms, processes ${s.instances.join(', ')}, ${s.repeat} run(s) each (medians)`;
}

/** A table cell for a number: written by `format`, its exact value in data-value. */
function numberCell(value: number | undefined, format: (n: number | undefined) => string, key?: string): string {
  const data = value === undefined ? '' : ` data-value="${value}"${key ? ` data-key="${key}"` : ''}`;
  return `<td class="n"${data}>${escape(format(value))}</td>`;
}

function verdictTable(report: BenchReport): string {
  const head = [
    'strategy',
    'processes',
    'verdict',
    'expected',
    'issued',
    'rows',
    'over',
    'lost',
    'sold out early',
    'req/s',
    '× /hello',
    'p99 ms',
    'drain ms',
    'redis/req',
    'mysql/req',
    'retries/ok',
  ];
  const ratio = (n: number | undefined) => (n === undefined ? '-' : `${n.toFixed(2)}×`);
  const rows = report.results.map((r) => {
    const shown = worstRun(r.runs);
    const verdict = `<span class="${!r.ok ? 'bad' : r.verdict === 'EXACT' ? 'good' : 'warn'}">${r.verdict}</span>`;
    const cells = [
      ...[escape(r.strategy), String(r.instances), verdict, r.expected].map((text) => `<td>${text}</td>`),
      numberCell(shown?.answers.success, int),
      numberCell(shown?.rows, int),
      numberCell(shown?.overIssued, int),
      numberCell(shown?.lost, int),
      numberCell(r.soldOutWhileAvailable, int, 'soldOutWhileAvailable'),
      numberCell(r.throughput, int, 'throughput'),
      numberCell(r.helloRatio, ratio, 'helloRatio'),
      numberCell(r.latency.p99, ms, 'p99'),
      numberCell(r.drainMs, ms, 'drainMs'),
      numberCell(r.redisCommandsPerRequest, perRequest, 'redisCommandsPerRequest'),
      numberCell(r.mysqlQueriesPerRequest, perRequest, 'mysqlQueriesPerRequest'),
      numberCell(r.retriesPerSuccess, perRequest, 'retriesPerSuccess'),
    ];
    return `<tr data-strategy="${escape(r.strategy)}" data-instances="${r.instances}">${cells.join('')}</tr>`;
  });
  return `<table id="verdicts"><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr>${rows.join('')}</table>`;
}

/** GET /hello on the same servers in the same run: what each strategy's throughput is measured against. */
function baselineSection(report: BenchReport): string {
  if (report.baselines.length === 0) return '';
  const rows = report.baselines.map(
    (b) =>
      `<tr data-instances="${b.instances}"><td>${b.instances}</td>${numberCell(b.throughput, int, 'throughput')}${numberCell(b.latency.p50, ms, 'p50')}${numberCell(b.latency.p99, ms, 'p99')}${numberCell(b.latency.max, ms, 'max')}<td class="n">${b.runs.length}</td></tr>`,
  );
  return `<h2>Baseline: GET /hello</h2>
<p class="muted">The cheapest answer the server gives, one run just before each strategy's run on the same server; medians of those runs. × /hello above is each run over its own.</p>
<table id="baselines"><tr><th>processes</th><th>req/s</th><th>p50 ms</th><th>p99 ms</th><th>max ms</th><th>runs</th></tr>${rows.join('')}</table>`;
}

const FLOOR_NAMES: Record<keyof Floors, string> = {
  luaScriptPerS: 'issue.lua by EVALSHA, calls/s',
  consumerDrainRowsPerS: 'a fresh consumer draining those entries, rows/s',
  bulkInsertRowsPerS: 'raw multi-row INSERT IGNORE, rows/s',
  recordLockTxPerS: 'raw SELECT … FOR UPDATE issue transaction, transactions/s',
};

/** The raw cost of each layer, measured on the same Redis and MySQL in the same run (--floors). */
function floorsSection(floors: Floors): string {
  const measured = (Object.keys(FLOOR_NAMES) as (keyof Floors)[]).filter((key) => floors[key] !== undefined);
  if (measured.length === 0) return '';
  const rows = measured.map((key) => `<tr data-floor="${key}"><td>${escape(FLOOR_NAMES[key])}</td>${numberCell(floors[key], int)}</tr>`);
  return `<h2>Floors</h2>
<p class="muted">Each layer alone, on the same Redis and MySQL in the same run: what a strategy adds is its distance from these.</p>
<table id="floors"><tr><th>layer</th><th>per second</th></tr>${rows.join('')}</table>`;
}
