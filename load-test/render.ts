import { int, ms, plural } from '../bench/output/format.js';
import { verdictWithFigure } from '../lab-client/verdict.js';
import type { CouponCheck, GeneratorRun, LoadTestReport } from './report.js';

/** The report as text: the generators side by side, then a verdict per coupon. */
export function renderLoadTest(report: LoadTestReport): string {
  const { target } = report;
  const started = target.started ? `started here, ${plural(target.instances, 'process')}` : 'given by --host';
  const locust = report.runs.some((run) => run.generator === 'locust');
  const lines = [
    `${report.runs.map((run) => run.generator).join(' vs ')}: ${report.endpoint === 'hello' ? 'GET' : 'POST'} ${report.path} on ${target.url} (${started})`,
    settingsLine(report),
    '',
    ...table(report),
    `latency in ms${locust ? '; Locust rounds times above 100 ms to 10 ms' : ''}; failures: anything but 2xx, sold out and already issued`,
  ];
  const checked = report.runs.filter((run) => run.coupon || run.checkError);
  if (checked.length) lines.push('', ...checked.map((run) => verdictLine(run, report)));
  const failed = report.runs.filter((run) => run.error);
  if (failed.length) lines.push('', ...failed.map((run) => `${run.generator} failed to run: ${run.error}`));
  return lines.join('\n');
}

/** `200 connections, 20 s, on a fresh coupon of 100 places`; with Locust too, what each generator had. */
function settingsLine({ settings, runs, endpoint }: LoadTestReport): string {
  const several = runs.length > 1;
  const inFlight = several ? `${int(settings.connections)} Locust users and autocannon connections` : plural(settings.connections, 'connection');
  const spawn = settings.spawnRate === undefined ? '' : ` (Locust starts ${int(settings.spawnRate)}/s)`;
  const coupon = endpoint === 'issue' ? `, ${several ? 'each generator ' : ''}on a fresh coupon of ${plural(settings.quantity, 'place')}` : '';
  return `${inFlight}${spawn}, ${settings.durationS} s${several ? ' each' : ''}${coupon}`;
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
