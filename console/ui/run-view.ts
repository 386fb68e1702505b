import type { FaultReport } from '../../bench/faults/report.js';
import { int, ms } from '../../bench/output/format.js';
import type { BenchReport } from '../../bench/report.js';
import { verdictWithFigure, worstRun } from '../../lab-client/verdict.js';
import type { StoredReport } from '../contract.js';
import { reportUrl } from './api.js';
import { verdictBadge } from './badges.js';
import { el, scrollingTable } from './dom.js';

/** A saved run as a table: what the bench's table shows, each verdict with its figure. */
export function runView(id: string, stored: StoredReport): HTMLElement {
  const { report } = stored;
  const m = report.machine;
  return el(
    'article',
    { class: 'run', 'data-run': id, 'aria-label': `run ${id}` },
    el('h3', {}, id),
    el(
      'p',
      { class: 'muted' },
      `${new Date(report.startedAt).toLocaleString()} · ${m.cpus} × ${m.cpuModel} · Redis ${m.redis} · MySQL ${m.mysql} · wall clock ${(report.wallMs / 1000).toFixed(1)} s`,
    ),
    stored.kind === 'race' ? raceTable(stored.report) : faultTable(stored.report),
    el('p', {}, el('a', { href: reportUrl(id), target: '_blank', rel: 'noopener' }, 'The HTML report of this run')),
  );
}

function raceTable(report: BenchReport): HTMLElement {
  const s = report.settings;
  const rows = report.results.map((r) => {
    const shown = worstRun(r.runs)!;
    return el(
      'tr',
      { 'data-strategy': r.strategy, 'data-instances': r.instances },
      el('th', { scope: 'row' }, r.strategy),
      el('td', { class: 'n' }, r.instances),
      el('td', {}, verdictBadge(r.verdict, verdictWithFigure(shown), r.ok)),
      el('td', { class: 'n' }, `${int(shown.rows)} / ${int(s.durationS ? undefined : s.quantity)}`),
      el('td', { class: 'n' }, int(shown.answers.success)),
      el('td', { class: 'n', 'data-key': 'throughput', 'data-value': r.throughput }, int(r.throughput)),
      el('td', { class: 'n' }, r.helloRatio === undefined ? '-' : `${r.helloRatio.toFixed(2)}×`),
      el('td', { class: 'n' }, ms(r.latency.p50)),
      el('td', { class: 'n' }, ms(r.latency.p99)),
      el('td', { class: 'n' }, ms(r.drainMs)),
    );
  });
  const crowd = s.durationS ? `${s.durationS} s of fresh users` : `${int(s.users)} users × ${s.requestsPerUser} for ${int(s.quantity)} places`;
  return el(
    'div',
    {},
    el('p', {}, `${s.mode} mode, ${crowd}, ${s.concurrency} connections, processes ${s.instances.join(', ')}, ${s.repeat} run(s) each (medians)`),
    scrollingTable(
      'Verdicts and figures by strategy',
      ['strategy', 'processes', 'verdict', 'rows / places', 'told yes', 'req/s', '× /hello', 'p50 ms', 'p99 ms', 'drain ms'],
      rows,
      { class: 'results' },
    ),
  );
}

function faultTable(report: FaultReport): HTMLElement {
  const rows = report.runs.map((run) =>
    el(
      'tr',
      { 'data-strategy': run.strategy, 'data-fault': run.fault },
      el('th', { scope: 'row' }, `${run.strategy}${run.setting ? ` (${run.setting})` : ''}`),
      el('td', {}, `${run.fault}${run.variant ? ` (${run.variant})` : ''}`),
      el('td', {}, verdictBadge(run.verdict, verdictWithFigure(run), run.ok)),
      el('td', { class: 'n' }, `${int(run.rows)} / ${int(run.quantity)}`),
      el('td', { class: 'n' }, run.faultMs ? int(run.faultMs.toMs - run.faultMs.fromMs) : '-'),
      el('td', { class: 'n' }, int(run.unavailable)),
      el('td', { class: 'n' }, int(run.internalErrors)),
      el('td', { class: 'n' }, ms(run.recoverMs)),
      el('td', {}, [run.error, ...run.notes].filter(Boolean).join('; ')),
    ),
  );
  return scrollingTable(
    'Verdicts by strategy and fault',
    ['strategy', 'fault', 'verdict', 'rows / places', 'fault ms', '503', '500', 'recover ms', 'notes'],
    rows,
    { class: 'results' },
  );
}
