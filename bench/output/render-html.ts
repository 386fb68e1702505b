import { worstRun } from '../../lab-client/verdict.js';
import { describeCrowd, describeRepeat } from './describe-settings.js';
import { escapeHtml as escape, htmlPage, int, micros, ms, perRequest, plural, times } from './format.js';
import { barChart, lineChart, protectionLegend, type Bar } from './html-charts.js';
import type { BenchReport, Floors, HelloResult, StrategyResult } from '../report.js';
import { frameworkShare } from './render-table.js';

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
${masterSection(report)}
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
    overIssuedChart(bars((r) => Math.max(...r.runs.map((run) => run.overIssued)))),
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

/** Only the strategies that over-issued, a bar each: the others, all 0, are named in a line. */
function overIssuedChart(bars: Bar[]): string {
  const over = bars.filter((bar) => bar.value > 0);
  const exact = bars.filter((bar) => bar.value === 0).map((bar) => bar.label);
  const title = 'Over-issued rows (worst run)';
  const rest = exact.length ? `<p class="muted" id="over-issued-none">None over: ${escape(exact.join(', '))}.</p>` : '';
  if (over.length === 0) return `<figure><figcaption>${title}</figcaption>${rest}</figure>`;
  return barChart('over-issued', title, over, (v) => `${int(v)} row${v === 1 ? '' : 's'}`, rest);
}

/** A strategy expected to over-issue that came out exact: the race was not hit this time, which fails nothing. */
function raceNotHit(report: BenchReport): string {
  const missed = report.results.filter((r) => r.expected !== 'EXACT' && r.verdict === 'EXACT');
  if (missed.length === 0) return '';
  const names = missed.map((r) => `${escape(r.strategy)} (${plural(r.instances, 'process')})`).join(', ');
  return `<p class="muted">Expected to over-issue but exact this time (the race was not hit): ${names}. --think-ms widens the window.</p>`;
}

/** The run's settings in a line: mode, crowd, concurrency, processes, runs. */
export function describeRun(report: BenchReport): string {
  const s = report.settings;
  return `${s.mode} mode, ${describeCrowd(s)}, concurrency ${s.concurrency}, think ${s.thinkMs} ms, processes ${s.instances.join(', ')}, ${describeRepeat(s.repeat)}`;
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
    'CPU µs/req',
    'CPU × /hello',
    'p99 ms',
    'drain ms',
    'redis/req',
    'mysql/req',
    'retries/ok',
  ];
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
      numberCell(r.helloRatio, times, 'helloRatio'),
      numberCell(r.serverCpuUsPerRequest, micros, 'serverCpuUsPerRequest'),
      numberCell(r.helloCpuRatio, times, 'helloCpuRatio'),
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

/** On a Redis Cluster: each master's share of every strategy's Redis work, and the busiest's. */
function masterSection(report: BenchReport): string {
  const split = report.results.filter((r) => r.masters?.length);
  if (split.length === 0) return '';
  const share = (n: number | undefined) => (n === undefined ? '-' : `${Math.round(n * 100)}%`);
  const rows = split.flatMap((r) =>
    r.masters!.map(
      (m) =>
        `<tr data-strategy="${escape(r.strategy)}" data-instances="${r.instances}" data-master="${escape(m.master)}"><td>${escape(r.strategy)}</td><td class="n">${r.instances}</td><td>${escape(m.master)}</td>${numberCell(m.commandShare, share, 'commandShare')}${numberCell(m.usecShare, share, 'usecShare')}${numberCell(r.busiestShare, share, 'busiestShare')}${numberCell(r.projectedCeiling, int, 'projectedCeiling')}</tr>`,
    ),
  );
  return `<h2>Per master</h2>
<p class="muted">Each master's share of the run's Redis commands and of Redis CPU (INFO commandstats usec, before and after each run), busiest first, medians of the runs by rank (each run's split by master is in the JSON). The projected ceiling is a projection, not a measurement: the EVALSHA floor (--floors) over the busiest master's share.</p>
<table id="masters"><tr><th>strategy</th><th>processes</th><th>master</th><th>commands</th><th>Redis CPU</th><th>busiest</th><th>projected req/s</th></tr>${rows.join('')}</table>`;
}

/**
 * GET /hello on the same servers in the same run: what each strategy's throughput is measured
 * against; with --floors, the same on a bare node:http server under it.
 */
function baselineSection(report: BenchReport): string {
  if (report.baselines.length === 0) return '';
  const row = (attributes: string, server: string, processes: number, h: HelloResult, runs: number) =>
    `<tr ${attributes}><td>${server}</td><td>${processes}</td>${numberCell(h.throughput, int, 'throughput')}${numberCell(h.latency.p50, ms, 'p50')}${numberCell(h.latency.p99, ms, 'p99')}${numberCell(h.latency.max, ms, 'max')}${numberCell(h.serverCpuUsPerRequest, micros, 'serverCpuUsPerRequest')}<td class="n">${runs}</td></tr>`;
  const rows = report.baselines.map((b) => row(`data-instances="${b.instances}"`, "the lab's (Express)", b.instances, b, b.runs.length));
  const bare = report.floors.bareHello;
  if (bare) rows.push(row('data-server="bare"', 'bare node:http', 1, bare, report.settings.repeat));
  const share = frameworkShare(report);
  const shareText = share
    ? ` Express adds <span id="framework-share" data-value="${share.addedUs}">${micros(share.addedUs)} µs</span> of server CPU to an answer, ${Math.round(share.fraction * 100)}% of what its /hello costs.`
    : '';
  return `<h2>Baseline: GET /hello</h2>
<p class="muted">The cheapest answer the server gives, one run just before each strategy's run on the same server; medians of those runs. × /hello above is each run over its own. CPU µs/req: CPU time of every server process per request, which a busy machine moves far less than req/s.${shareText}</p>
<table id="baselines"><tr><th>server</th><th>processes</th><th>req/s</th><th>p50 ms</th><th>p99 ms</th><th>max ms</th><th>CPU µs/req</th><th>runs</th></tr>${rows.join('')}</table>`;
}

/** The floors measured in operations per second; `bareHello` is shown with the baselines. */
type RateFloor = Exclude<keyof Floors, 'bareHello'>;

const FLOOR_NAMES: Record<RateFloor, string> = {
  luaScriptPerS: 'issue.lua by EVALSHA, calls/s',
  consumerDrainRowsPerS: 'a fresh consumer draining those entries, rows/s',
  bulkInsertRowsPerS: 'raw multi-row INSERT IGNORE, rows/s',
  recordLockTxPerS: 'raw SELECT … FOR UPDATE issue transaction, transactions/s',
};

/** The raw cost of each layer, measured on the same Redis and MySQL in the same run (--floors). */
function floorsSection(floors: Floors): string {
  const measured = (Object.keys(FLOOR_NAMES) as RateFloor[]).filter((key) => floors[key] !== undefined);
  if (measured.length === 0) return '';
  const rows = measured.map((key) => `<tr data-floor="${key}"><td>${escape(FLOOR_NAMES[key])}</td>${numberCell(floors[key], int)}</tr>`);
  return `<h2>Floors</h2>
<p class="muted">Each layer alone, on the same Redis and MySQL in the same run: what a strategy adds is its distance from these.</p>
<table id="floors"><tr><th>layer</th><th>per second</th></tr>${rows.join('')}</table>`;
}
