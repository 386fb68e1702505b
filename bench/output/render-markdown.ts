import type { BenchReport } from '../report.js';
import { markdownRecord, markdownTable } from './markdown.js';
import { describeRun } from './render-html.js';
import { baselineLines, COLUMNS, floorsLine, inFlightNote, summary, undrainedLines } from './render-table.js';

const COLUMN_NOTE =
  "/hello: req/s over that of the same server's GET /hello run just before; cpu µs/req: CPU time of every server process per request sent, from just before the crowd until MySQL held its rows; cpu /hello: that over the same /hello run's.";

/** The report as a results record (markdown.ts): the settings, the baselines, the table, the floors, the verdict. */
export function renderBenchMarkdown(report: BenchReport, command: string): string {
  const s = report.settings;
  const settings = [
    `Settings: ${describeRun(report)}`,
    `Locks: wait ${s.lockWaitMs} ms, lease ${s.lockLeaseMs} ms, retry every ${s.lockRetryDelayMs} ms; MySQL pool ${s.mysqlPoolSize}${s.redisCluster ? '; Redis Cluster' : ''}`,
  ];
  const baselines = baselineLines(report);
  const sections = [
    ...(baselines.length ? ['## Baseline', baselines.map((line) => `- ${line}`).join('\n')] : []),
    '## Results',
    markdownTable(COLUMNS, report.results),
    COLUMN_NOTE,
    ...(s.repeat > 1 ? ['Counts are from the run behind each verdict, the worst; req/s, latencies and CPU are medians of all runs.'] : []),
    ...(s.durationS ? [`${inFlightNote(s)}.`] : []),
    ...undrainedLines(report),
    ...[floorsLine(report)].filter((line) => line !== undefined),
    summary(report),
  ];
  return markdownRecord({ title: 'Bench', ...report, command, settings }, sections);
}
