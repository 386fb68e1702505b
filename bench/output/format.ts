/** How every report of the lab shows numbers, in the terminal and in HTML alike. */

/** A whole number with thousands separators; '-' for none. */
export function int(n: number | undefined): string {
  return n === undefined || Number.isNaN(n) ? '-' : Math.round(n).toLocaleString('en-US');
}

/** `1 process`, `2 processes`, `1,000 places`: a count and its noun, in the singular or the plural. */
export function plural(n: number, noun: string): string {
  return `${int(n)} ${n === 1 ? noun : /(s|x|ch|sh)$/.test(noun) ? `${noun}es` : `${noun}s`}`;
}

/** A cost per request, in Redis commands or retries: one decimal, as most are a handful. */
export function perRequest(n: number | undefined): string {
  return n === undefined || Number.isNaN(n) ? '-' : n.toFixed(1);
}

/**
 * Milliseconds with as many decimals as matter at their size, and none that are zeros: a whole
 * millisecond (autocannon measures in them) reads `9`, not `9.00`; '-' for none.
 */
export function ms(n: number | undefined): string {
  if (n === undefined || Number.isNaN(n)) return '-';
  return n < 100 ? String(Number(n.toFixed(n < 10 ? 2 : 1))) : int(n);
}

/** Microseconds of CPU per request: whole from 100 up, one decimal below; '-' for none. */
export function micros(n: number | undefined): string {
  if (n === undefined || Number.isNaN(n)) return '-';
  return n < 100 ? n.toFixed(1) : int(n);
}

/** A ratio of two figures of one run, as `0.85×`; '-' for none. */
export function times(n: number | undefined): string {
  return n === undefined || Number.isNaN(n) ? '-' : `${n.toFixed(2)}×`;
}

export interface Column<T> {
  title: string;
  cell: (row: T) => string;
  /** Text to the left; numbers (the default) to the right. */
  left?: boolean;
}

/** A table for the terminal: a header, a rule, then one line per row, columns aligned. */
export function textTable<T>(columns: readonly Column<T>[], rows: readonly T[]): string[] {
  const cells = rows.map((row) => columns.map((column) => column.cell(row)));
  const widths = columns.map((column, i) => Math.max(column.title.length, ...cells.map((row) => row[i]!.length)));
  const line = (row: string[]) =>
    row
      .map((cell, i) => (columns[i]!.left ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(columns.map((column) => column.title)), line(widths.map((width) => '─'.repeat(width))), ...cells.map(line)];
}

export function escapeHtml(text: string | number): string {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * A report page that opens offline: no script but its own data, no CDN. `data` is embedded as
 * JSON under `dataId`, so a reader (or a test) can check what is drawn against it.
 */
export function htmlPage(title: string, body: string, dataId: string, data: unknown): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:72rem;color:#1d232b;padding:0 1rem}
h1{font-size:1.4rem}h2{font-size:1.05rem;margin:1.6rem 0 .4rem}
table{border-collapse:collapse;font-variant-numeric:tabular-nums}td,th{padding:.25rem .6rem;border-bottom:1px solid #dde}
th{text-align:left;background:#f3f4f8}td.n{text-align:right}.bad{color:#b00020;font-weight:600}.warn{color:#b45309;font-weight:600}.good{color:#176b2c;font-weight:600}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(32rem,1fr));gap:1rem}figure{margin:0}
figcaption{font-weight:600;margin-bottom:.3rem}svg text{font:12px system-ui,sans-serif;fill:#1d232b}.muted{color:#667}
.legend span{margin-right:1.2rem;white-space:nowrap}.swatch{display:inline-block;width:.85rem;height:.85rem;margin-right:.3rem;vertical-align:-.1rem}
</style></head><body>
${body}
<script type="application/json" id="${dataId}">${JSON.stringify(data).replace(/</g, '\\u003c')}</script>
</body></html>
`;
}
