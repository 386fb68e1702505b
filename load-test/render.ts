import { int, ms } from '../bench/output/format.js';
import { verdictWithFigure } from '../lab-client/verdict.js';
import type { CouponCheck, GeneratorRun, LoadTestReport } from './report.js';

/** The report as text: the generators side by side, then a verdict per coupon. */
export function renderLoadTest(report: LoadTestReport): string {
  const { target, settings } = report;
  const started = target.started ? `started here, ${target.instances} process${target.instances === 1 ? '' : 'es'}` : 'given by --host';
  const spawn = settings.spawnRate === undefined ? '' : ` (Locust starts ${int(settings.spawnRate)}/s)`;
  const lines = [
    `${report.runs.map((run) => run.generator).join(' vs ')}: ${report.endpoint === 'hello' ? 'GET' : 'POST'} ${report.path} on ${target.url} (${started})`,
    `${settings.users} users${spawn}, ${settings.durationS} s each${report.endpoint === 'issue' ? `, each generator on a fresh coupon of ${int(settings.quantity)}` : ''}`,
    '',
    ...table(report),
    'latency in ms; Locust rounds times above 100 ms to 10 ms; failures: anything but 2xx, sold out and already issued',
  ];
  const checked = report.runs.filter((run) => run.coupon || run.checkError);
  if (checked.length) lines.push('', ...checked.map((run) => verdictLine(run, report)));
  const failed = report.runs.filter((run) => run.error);
  if (failed.length) lines.push('', ...failed.map((run) => `${run.generator} failed to run: ${run.error}`));
  return lines.join('\n');
}

function table(report: LoadTestReport): string[] {
  const issuing = report.endpoint === 'issue';
  const header = ['generator', ...(issuing ? ['coupon'] : []), 'requests', 'req/s', 'p50', 'p90', 'p99', 'max', 'failures'];
  const rows = report.runs.map((run) => {
    const coupon = issuing ? [String(run.couponId ?? '-')] : [];
    const n = run.numbers;
    if (!n) return [run.generator, ...coupon, 'failed to run'];
    const { p50, p90, p99, max } = n.latency;
    return [run.generator, ...coupon, int(n.requests), int(n.throughput), ms(p50), ms(p90), ms(p99), ms(max), int(n.failures)];
  });
  const complete = rows.filter((row) => row.length === header.length); // a "failed to run" row may overhang
  const widths = header.map((title, i) => Math.max(title.length, ...complete.map((row) => row[i]!.length)));
  const textColumns = issuing ? 2 : 1; // generator (and coupon) to the left, numbers to the right
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i < textColumns || cells.length < header.length ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

function verdictLine(run: GeneratorRun, report: LoadTestReport): string {
  const c = run.coupon;
  if (!c) return `coupon ${run.couponId} (${run.generator}): not checked: ${run.checkError} ✗`;
  const counts = `${int(c.rows)} rows, ${int(c.distinctUsers)} distinct users, issued_quantity ${int(c.issuedQuantity)} of ${int(c.totalQuantity)}`;
  const problems = c.problems.length ? ` (${c.problems.join('; ')})` : '';
  return `coupon ${c.couponId} (${run.generator}): ${counts}, sold out: ${c.soldOut ? 'yes' : 'no'} — ${judgement(c, report)}${problems}${run.ok ? '' : ' ✗'}`;
}

/** The bench's verdict, and why it is or is not a failure for this strategy. */
function judgement(c: CouponCheck, report: LoadTestReport): string {
  if (c.verdict === 'EXACT') return 'EXACT';
  const processes = report.target.instances > 1 ? ` across ${report.target.instances} processes` : '';
  const why =
    c.verdict === c.expected
      ? `expected of ${report.strategy}${processes}`
      : c.expected === 'EXACT'
        ? `${report.strategy} must be exact`
        : `${report.strategy}${processes} is not meant to be exact`;
  return `${verdictWithFigure(c)} (${why})`;
}
