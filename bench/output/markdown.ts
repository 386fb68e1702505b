import type { Commit, Machine } from '../report.js';
import type { Column } from './format.js';

/**
 * A results record, as docs/results/<date>-<what>.md keeps them: what was measured, on what
 * machine, by which command, from which commit, then the tables. Rendered from a report, like the
 * table, the JSON and the HTML; written once by the command that measured, never edited after.
 */
export interface RecordHead {
  /** What was measured: `Bench`, `Faults`. */
  title: string;
  startedAt: string;
  wallMs: number;
  machine: Machine;
  /** The command line as typed, from the CLI's own name on. */
  command: string;
  commit?: Commit;
  /** The run's settings, a line each. */
  settings: string[];
}

export function markdownRecord(head: RecordHead, sections: readonly string[]): string {
  const { machine: m, commit } = head;
  const source = commit ? `\`${commit.hash}\`${commit.dirty ? ', with uncommitted changes in the tree' : ''}` : 'unknown (no git here)';
  return `${[
    `# ${head.title}, ${head.startedAt.slice(0, 10)}`,
    '',
    `- Machine: ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}; load average ${m.loadAverage} as the run began`,
    `- Services: Redis ${m.redis}, MySQL ${m.mysql}`,
    `- Command: \`${head.command}\``,
    `- Commit: ${source}`,
    `- Started ${head.startedAt}, wall clock ${(head.wallMs / 1000).toFixed(1)} s`,
    ...head.settings.map((line) => `- ${line}`),
    ...sections.flatMap((section) => ['', section]),
  ].join('\n')}\n`;
}

/** A table in Markdown from the columns of a terminal table: numbers to the right, text to the left. */
export function markdownTable<T>(columns: readonly Column<T>[], rows: readonly T[]): string {
  const line = (cells: string[]) => `| ${cells.map((cell) => cell.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [
    line(columns.map((column) => column.title)),
    line(columns.map((column) => (column.left ? ':--' : '--:'))),
    ...rows.map((row) => line(columns.map((column) => column.cell(row)))),
  ].join('\n');
}

/** Arguments as a POSIX shell would need them typed: quoted where they hold anything but plain characters. */
export function shellWords(args: readonly string[]): string {
  return args.map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`)).join(' ');
}
