import { escapeHtml as escape, htmlPage, int, ms, textTable, type Column } from '../output/format.js';
import type { Verdict } from '../../lab-client/verdict.js';
import { markdownRecord, markdownTable } from '../output/markdown.js';
import type { FaultReport, FaultRun } from './report.js';

const faultLabel = (run: FaultRun) => (run.variant ? `${run.fault} (${run.variant})` : run.fault);
const strategyLabel = (run: FaultRun) => (run.setting ? `${run.strategy} (${run.setting})` : run.strategy);

const COLUMNS: Column<FaultRun>[] = [
  { title: 'fault', cell: faultLabel, left: true },
  { title: 'strategy', cell: strategyLabel, left: true },
  { title: 'verdict', cell: (r) => `${r.verdict}${r.ok ? '' : ' ✗'}`, left: true },
  { title: 'fault ms', cell: (r) => (r.faultMs ? int(r.faultMs.toMs - r.faultMs.fromMs) : '-') },
  { title: 'sent', cell: (r) => int(r.sent) },
  { title: 'yes', cell: (r) => int(r.answers.success) },
  { title: '503', cell: (r) => int(r.unavailable) },
  { title: '500', cell: (r) => int(r.internalErrors) },
  { title: 'no answer', cell: (r) => int(r.unanswered) },
  { title: 'rows', cell: (r) => `${int(r.rows)}/${int(r.quantity)}` },
  { title: 'over', cell: (r) => int(r.overIssued) },
  { title: 'dup', cell: (r) => int(r.duplicated) },
  { title: 'lost', cell: (r) => int(r.lost) },
  { title: 'revoked', cell: (r) => int(r.revoked) },
  { title: 'sold out early', cell: (r) => int(r.soldOutWhileAvailable) },
  {
    title: 'stranded',
    cell: (r) => (r.stranded ? `${int(r.stranded.places)} for ${r.stranded.forMs === undefined ? '?' : `${int(r.stranded.forMs)} ms`}` : '-'),
  },
  { title: 'recover ms', cell: (r) => ms(r.recoverMs) },
  { title: 'drain ms', cell: (r) => ms(r.drainMs) },
];

const LEGEND = [
  '503: SERVICE_UNAVAILABLE, LOCK_TIMEOUT or LEASE_EXPIRED; no answer: connection cut or refused, or none in 20 s; recover: from the end of the fault to the first success sent after it',
  'sold out early: COUPON_SOLD_OUT while places remained, at least; stranded: places the killed server held unsold in its blocks, and from the kill until they were back on sale',
].join('\n');

/** The report as text: one line per fault and strategy, the matrix, then what failed. */
export function renderFaultTable(report: FaultReport): string {
  const m = report.machine;
  const notes = noteLines(report);
  return [
    `Coupon Lab faults — private Redis ${m.redis} and MariaDB (${m.mysql}) started for the run`,
    `${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}, ${report.startedAt}`,
    '',
    ...textTable(COLUMNS, report.runs),
    LEGEND,
    ...(notes.length ? ['', ...notes] : []),
    '',
    ...winnersWithoutCoupon(report),
    '',
    ...textTable(...matrixTable(report)),
    '',
    summary(report),
    `Wall clock ${(report.wallMs / 1000).toFixed(1)} s.`,
  ].join('\n');
}

/** What happened in a run that the figures alone do not say, a line per run that has any. */
function noteLines(report: FaultReport): string[] {
  return report.runs
    .filter((run) => run.notes.length || run.error)
    .map((run) => `${faultLabel(run)}, ${strategyLabel(run)}: ${[run.error, ...run.notes].filter(Boolean).join('; ')}`);
}

/** For scale: the share of winners who never got their coupon that Olive Young measured in production (2025-12). */
const OLIVE_YOUNG = 'Olive Young measured 0.014% of winners over a 7-day sale, with a Redis count and then a Kafka message';

/** The runs where some told yes got no coupon, as a count and a share of those told yes. */
function lossLines(report: FaultReport): string[] {
  return report.runs
    .filter((run) => run.lost > 0)
    .map((run) => `${faultLabel(run)}, ${strategyLabel(run)}: ${int(run.lost)} of ${int(run.answers.success)} told yes (${percent(run.lostRate)})`);
}

function winnersWithoutCoupon(report: FaultReport): string[] {
  const lines = lossLines(report);
  return [`Winners told they won who got no coupon (lost), for scale: ${OLIVE_YOUNG}.`, ...(lines.length ? lines.map((line) => `  ${line}`) : ['  none'])];
}

function percent(share: number): string {
  return `${(share * 100).toFixed(share < 0.001 ? 3 : 1)}%`;
}

/** Strategy × fault → verdict, with the count behind it: the columns and the rows of a table. */
function matrixTable(report: FaultReport): [Column<string>[], string[]] {
  const { faults, strategies, cell } = matrix(report);
  const columns: Column<string>[] = [
    { title: 'strategy', cell: (strategy) => strategy, left: true },
    ...faults.map((fault) => ({ title: fault, cell: (strategy: string) => shortVerdict(cell(strategy, fault)), left: true })),
  ];
  return [columns, strategies];
}

/** The report as a results record (markdown.ts): the matrix, every run, what each fault did, the verdict. */
export function renderFaultMarkdown(report: FaultReport, command: string): string {
  const notes = noteLines(report);
  const sections = [
    '## Strategy × fault',
    markdownTable(...matrixTable(report)),
    '## Every run',
    markdownTable(COLUMNS, report.runs),
    LEGEND,
    ...(notes.length ? [notes.map((note) => `- ${note}`).join('\n')] : []),
    '## Winners told they won who got no coupon',
    `For scale: ${OLIVE_YOUNG}.`,
    (lossLines(report).length ? lossLines(report) : ['none']).map((line) => `- ${line}`).join('\n'),
    '## The faults',
    faultDescriptions(report)
      .map(([fault, what]) => `- **${fault}**: ${what}`)
      .join('\n'),
    summary(report),
  ];
  const settings = ['Private Redis and MariaDB instances, and the server processes, started for the run'];
  return markdownRecord({ title: 'Faults', ...report, command, settings }, sections);
}

/** Each fault once, with what was done: `[label, sentence]`. */
function faultDescriptions(report: FaultReport): [string, string][] {
  return [...new Map(report.runs.map((run) => [faultLabel(run), run.what])).entries()];
}

function matrix(report: FaultReport) {
  const faults = [...new Set(report.runs.map(faultLabel))];
  const strategies = [...new Set(report.runs.map(strategyLabel))];
  const cell = (strategy: string, fault: string) => report.runs.find((run) => strategyLabel(run) === strategy && faultLabel(run) === fault);
  return { faults, strategies, cell };
}

/** A verdict with the figure that matters to it: `OVER +3`, `LOST 12`, `EXACT`, `-` for not run. */
function shortVerdict(run: FaultRun | undefined): string {
  if (!run) return '-';
  const figure: Partial<Record<Verdict, number>> = { 'OVER-ISSUED': run.overIssued, LOST: run.lost, REVOKED: run.revoked, DUPLICATED: run.duplicated };
  const extra = run.verdict === 'LOST' && run.revoked ? `, revoked ${run.revoked}` : '';
  const shown = figure[run.verdict] === undefined ? run.verdict : `${run.verdict} ${run.verdict === 'OVER-ISSUED' ? '+' : ''}${figure[run.verdict]}${extra}`;
  return `${shown}${run.ok ? '' : ' ✗'}`;
}

function summary(report: FaultReport): string {
  const failed = report.runs.filter((run) => !run.ok);
  if (failed.length === 0) return 'Every strategy showed only what it may show under each fault (✗ marks any other).';
  return `UNEXPECTED: ${failed.map((run) => `${strategyLabel(run)} under ${faultLabel(run)}: ${run.verdict}${run.internalErrors ? `, ${run.internalErrors} × 500` : ''}${run.error ? `, ${run.error}` : ''}`).join('; ')}.`;
}

/** The report as one self-contained HTML page: the matrix, every run, what each fault did. */
export function renderFaultHtml(report: FaultReport): string {
  const m = report.machine;
  const { faults, strategies, cell } = matrix(report);
  const matrixRows = strategies.map((strategy) => {
    const cells = faults.map((fault) => {
      const run = cell(strategy, fault);
      if (!run) return '<td class="muted">not reached</td>';
      const tone = !run.ok ? 'bad' : run.verdict === 'EXACT' ? 'good' : 'warn';
      return `<td class="${tone}" data-fault="${escape(fault)}" data-strategy="${escape(strategy)}" data-verdict="${run.verdict}">${escape(shortVerdict(run))}</td>`;
    });
    return `<tr><th>${escape(strategy)}</th>${cells.join('')}</tr>`;
  });
  const runRows = report.runs.map(
    (run) => `<tr>${COLUMNS.map((column, i) => `<td${i > 2 ? ' class="n"' : ''}>${escape(column.cell(run))}</td>`).join('')}</tr>`,
  );
  const what = faultDescriptions(report);
  const notes = noteLines(report).map((note) => `<li>${escape(note)}</li>`);
  const notesSection = notes.length ? `<h2>Notes</h2>\n<ul id="notes">${notes.join('')}</ul>\n` : '';
  const body = `<h1>Coupon Lab faults</h1>
<p class="muted">${m.cpus} × ${escape(m.cpuModel)}, ${m.memoryGiB} GiB, ${escape(m.os)}, Node ${escape(m.node)}, private Redis ${escape(m.redis)} and MariaDB ${escape(m.mysql)} — ${escape(report.startedAt)}, wall clock ${(report.wallMs / 1000).toFixed(1)} s</p>
<p class="${report.ok ? 'good' : 'bad'}" id="outcome">${escape(summary(report))}</p>
<h2>Strategy × fault</h2>
<p class="muted">Green: exact. Amber: what the strategy may show under that fault, as docs/faults.md explains (a lease-based lock over-issuing when its lease is outrun; lua losing or revoking what a Redis that lost its writes had accepted). Red: anything else.</p>
<table id="matrix"><tr><th>strategy</th>${faults.map((fault) => `<th>${escape(fault)}</th>`).join('')}</tr>${matrixRows.join('')}</table>
<h2>Winners told they won who got no coupon</h2>
<p class="muted">For scale: ${escape(OLIVE_YOUNG)}.</p>
<ul id="lost">${(lossLines(report).length ? lossLines(report) : ['none']).map((line) => `<li>${escape(line)}</li>`).join('')}</ul>
<h2>Every run</h2>
<table id="runs"><tr>${COLUMNS.map((column) => `<th>${escape(column.title)}</th>`).join('')}</tr>${runRows.join('')}</table>
${notesSection}<h2>The faults</h2>
<dl>${what.map(([fault, text]) => `<dt><b>${escape(fault)}</b></dt><dd>${escape(text)}</dd>`).join('')}</dl>`;
  return htmlPage(`Coupon Lab faults ${report.startedAt}`, body, 'fault-report', report);
}
