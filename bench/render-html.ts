import { escapeHtml as escape, htmlPage } from './format.js';
import type { BenchReport, StrategyResult } from './report.js';
import { worstRun } from '../lab-client/verdict.js';

/**
 * The report as one HTML file that opens offline: charts are inline SVG drawn here, no script,
 * no CDN. Every bar and point carries its number in `data-value`, and the report's JSON is
 * embedded, so a reader (or a test) can check one against the other.
 */
export function renderHtml(report: BenchReport): string {
  const { settings: s, machine: m } = report;
  const label = (r: StrategyResult) => (s.instances.length > 1 ? `${r.strategy} ×${r.instances}` : r.strategy);
  const bars = (value: (r: StrategyResult) => number) =>
    report.results.map((r) => ({ label: label(r), value: value(r), r }));
  const charts = [
    barChart('throughput', 'Throughput', 'req/s', bars((r) => r.throughput)),
    barChart('p99', 'Latency p99', 'ms', bars((r) => r.latency.p99)),
    barChart('over-issued', 'Over-issued rows (worst run)', 'rows', bars((r) => Math.max(...r.runs.map((run) => run.overIssued)))),
  ];
  if (s.instances.length > 1) charts.push(scaleChart(report));
  const body = `<h1>Coupon Lab bench</h1>
<p class="muted">${escape(describeRun(report))}<br>${m.cpus} × ${escape(m.cpuModel)}, ${m.memoryGiB} GiB, ${escape(m.os)}, Node ${escape(m.node)},
Redis ${escape(m.redis)}, MySQL ${escape(m.mysql)} — ${escape(report.startedAt)}, wall clock ${(report.wallMs / 1000).toFixed(1)} s</p>
<p class="${report.ok ? 'good' : 'bad'}" id="outcome">${report.ok ? 'Every strategy meant to be exact was EXACT.' : 'A strategy meant to be exact was not.'}</p>
<h2>Verdicts</h2>
${verdictTable(report)}
${raceNotHit(report)}
<div class="charts">${charts.join('\n')}</div>`;
  return htmlPage(`Coupon Lab bench ${report.startedAt}`, body, 'bench-report', report);
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
  const crowd = s.durationS ? `${s.durationS} s of fresh users` : `${s.users} users × ${s.requestsPerUser} for ${s.quantity} coupons`;
  return `${s.mode} mode, ${crowd}, concurrency ${s.concurrency}, think ${s.thinkMs} ms, processes ${s.instances.join(', ')}, ${s.repeat} run(s) each (medians)`;
}

function verdictTable(report: BenchReport): string {
  const head = ['strategy', 'processes', 'verdict', 'expected', 'issued', 'rows', 'over', 'lost', 'req/s', '× /hello', 'p99 ms', 'drain ms'];
  const rows = report.results.map((r) => {
    const shown = worstRun(r.runs);
    const cells = [
      escape(r.strategy),
      r.instances,
      `<span class="${!r.ok ? 'bad' : r.verdict === 'EXACT' ? 'good' : 'warn'}">${r.verdict}</span>`,
      r.expected,
      shown?.answers.success ?? '-',
      shown?.rows ?? '-',
      shown?.overIssued ?? '-',
      shown?.lost ?? '-',
      Math.round(r.throughput),
      r.helloRatio === undefined ? '-' : r.helloRatio.toFixed(2),
      r.latency.p99.toFixed(1),
      r.drainMs === undefined ? '-' : r.drainMs.toFixed(1),
    ];
    return `<tr data-strategy="${escape(r.strategy)}" data-instances="${r.instances}">${cells.map((c, i) => (i < 4 ? `<td>${c}</td>` : `<td class="n">${c}</td>`)).join('')}</tr>`;
  });
  return `<table id="verdicts"><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr>${rows.join('')}</table>`;
}

const COLORS = { none: '#c62828', process: '#ef6c00', lease: '#9e9d24', global: '#2e7d32' } as const;

function barChart(id: string, title: string, unit: string, bars: { label: string; value: number; r: StrategyResult }[]): string {
  const rowHeight = 26;
  const left = 150;
  const width = 520;
  const height = bars.length * rowHeight + 10;
  const max = Math.max(...bars.map((b) => b.value), 1e-9);
  const items = bars.map((bar, i) => {
    const y = 5 + i * rowHeight;
    const w = Math.max(bar.value > 0 ? 2 : 0, ((width - left - 90) * bar.value) / max);
    return `<g><text x="${left - 8}" y="${y + 16}" text-anchor="end">${escape(bar.label)}</text>
<rect class="bar" data-strategy="${escape(bar.r.strategy)}" data-instances="${bar.r.instances}" data-value="${bar.value}" x="${left}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowHeight - 8}" fill="${COLORS[bar.r.protection]}"/>
<text x="${left + w + 6}" y="${y + 16}">${formatValue(bar.value)} ${unit}</text></g>`;
  });
  return `<figure><figcaption>${escape(title)}</figcaption><svg id="chart-${id}" role="img" aria-label="${escape(title)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${items.join('')}</svg></figure>`;
}

/** One colour per strategy for the scale chart, where lines of one protection must still be told apart. */
const LINE_COLORS = ['#c62828', '#ad1457', '#ef6c00', '#1565c0', '#2e7d32', '#6a1b9a'];

/**
 * Throughput per strategy against the number of server processes, on a log scale: `lua` runs
 * several times faster than the rest, and on a linear scale their curves would lie flat on the axis.
 */
function scaleChart(report: BenchReport): string {
  const ks = report.settings.instances;
  const [width, height, left, right, top, bottom] = [560, 260, 56, 130, 10, 30];
  const values = report.results.map((r) => r.throughput).filter((v) => v > 0);
  const lo = 10 ** Math.floor(Math.log10(Math.min(...values, 10)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...values, 10)));
  const x = (k: number) => left + ((width - left - right) * ks.indexOf(k)) / Math.max(1, ks.length - 1);
  const y = (v: number) =>
    top + (height - top - bottom) * (1 - (Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)));
  const grid: string[] = [];
  for (let tick = lo; tick <= hi; tick *= 10) {
    grid.push(`<line x1="${left}" y1="${y(tick)}" x2="${width - right}" y2="${y(tick)}" stroke="#e3e5ee"/><text x="${left - 6}" y="${y(tick) + 4}" text-anchor="end">${formatValue(tick)}</text>`);
  }
  const axis = ks.map((k) => `<text x="${x(k)}" y="${height - 10}" text-anchor="middle">${k}</text>`).join('');
  const lines = report.settings.strategies.map((strategy, i) => {
    const color = LINE_COLORS[i % LINE_COLORS.length]!;
    const points = report.results.filter((r) => r.strategy === strategy);
    const path = points.map((p) => `${x(p.instances).toFixed(1)},${y(p.throughput).toFixed(1)}`).join(' ');
    const dots = points.map(
      (p) => `<circle class="point" data-strategy="${escape(strategy)}" data-instances="${p.instances}" data-value="${p.throughput}" cx="${x(p.instances).toFixed(1)}" cy="${y(p.throughput).toFixed(1)}" r="3.5" fill="${color}"/>`,
    );
    const legendY = top + 12 + i * 18;
    const legend = `<line x1="${width - right + 14}" y1="${legendY - 4}" x2="${width - right + 34}" y2="${legendY - 4}" stroke="${color}" stroke-width="2"/><text x="${width - right + 40}" y="${legendY}">${escape(strategy)}</text>`;
    return `<polyline points="${path}" fill="none" stroke="${color}" stroke-width="2"/>${dots.join('')}${legend}`;
  });
  return `<figure><figcaption>Throughput (req/s, log scale) by server processes</figcaption><svg id="chart-scale" role="img" aria-label="throughput by server processes" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${grid.join('')}${axis}${lines.join('')}</svg></figure>`;
}

function formatValue(value: number): string {
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  return value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(value >= 10 ? 1 : 2);
}
