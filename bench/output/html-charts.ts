import type { Protection } from '../../src/strategies/issue-strategy.js';
import { valueAxis } from './chart-axis.js';
import { escapeHtml as escape } from './format.js';

/**
 * The bench report's charts as inline SVG: no script, no library. Every bar and point carries its
 * number in `data-value`, so a reader (or a test) can check what is drawn against the JSON.
 */

/** The colour of a bar is the protection of its strategy, explained by `protectionLegend`. */
export const PROTECTION_COLORS: Record<Protection, string> = {
  none: '#c62828',
  process: '#ef6c00',
  lease: '#9e9d24',
  'fault-free': '#6d4c41',
  global: '#2e7d32',
};

/** What each protection promises, in the words of the legend (and of the console's badges). */
export const PROTECTION_MEANINGS: Record<Protection, string> = {
  none: 'no protection',
  process: 'within one server process',
  lease: "across processes while its lock's lease holds",
  'fault-free': 'across processes while nothing fails between its two writes',
  global: 'across processes whatever the timing',
};

export function protectionLegend(): string {
  const items = (Object.keys(PROTECTION_COLORS) as Protection[]).map(
    (p) =>
      `<span data-protection="${p}"><i class="swatch" style="background:${PROTECTION_COLORS[p]}"></i><b>${p}</b>: ${escape(PROTECTION_MEANINGS[p])}</span>`,
  );
  return `<p class="legend" id="legend">Bar colours, the protection of each strategy: ${items.join(' ')}</p>`;
}

/** What a label may need at 12 px, with room to spare: an estimate, as no script measures text here. */
const labelWidth = (text: string) => text.length * 7.5;

export interface Bar {
  label: string;
  value: number;
  protection: Protection;
  /** data-* attributes naming what the bar stands for. */
  data: Record<string, string | number>;
}

/** Horizontal bars from zero, one per row, each labelled with its value as `format` writes it; `note` under them. */
export function barChart(id: string, title: string, bars: readonly Bar[], format: (value: number) => string, note = ''): string {
  const rowHeight = 26;
  // The labels at the left, as wide as the longest; the bars and their values in 370 px.
  const left = Math.max(150, 8 + Math.max(0, ...bars.map((bar) => labelWidth(bar.label))));
  const width = left + 370;
  const height = bars.length * rowHeight + 10;
  const max = Math.max(...bars.map((b) => b.value), 1e-9);
  const items = bars.map((bar, i) => {
    const y = 5 + i * rowHeight;
    const w = Math.max(bar.value > 0 ? 2 : 0, ((width - left - 90) * bar.value) / max);
    return `<g><text x="${left - 8}" y="${y + 16}" text-anchor="end">${escape(bar.label)}</text>
<rect class="bar" ${dataAttributes(bar.data)} data-value="${bar.value}" x="${left}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowHeight - 8}" fill="${PROTECTION_COLORS[bar.protection]}"/>
<text x="${left + w + 6}" y="${y + 16}">${escape(format(bar.value))}</text></g>`;
  });
  return figure(id, title, width, height, items.join(''), note);
}

export interface Series {
  name: string;
  points: { x: number; value: number }[];
}

/**
 * Lines of values against x (the number of server processes), on an axis fitted to the values (log
 * when they spread widely, as lua's throughput beside the others'). Lines that coincide stay
 * visible: each has a look of its own (colour, dash and marker, see `lineStyle`), and is shifted
 * a few pixels sideways. The legend, at the right, is as wide as its longest name and as tall as
 * its entries: the chart grows to hold it.
 */
export function lineChart(id: string, title: string, xs: readonly number[], series: readonly Series[], format: (value: number) => string): string {
  const [plotWidth, left, top, bottom, rowHeight] = [380, 56, 10, 30, 18];
  const right = 56 + Math.max(0, ...series.map((s) => labelWidth(s.name)));
  const width = left + plotWidth + right;
  const height = Math.max(260, top + 12 + series.length * rowHeight + bottom);
  const axis = valueAxis(series.flatMap((s) => s.points.map((p) => p.value)));
  // Each line shifted 3 px from the last, the whole fan centred on its x: kept inside the plot.
  const spread = ((series.length - 1) / 2) * 3;
  const x = (k: number, i: number) =>
    left + 6 + spread + ((plotWidth - 12 - 2 * spread) * xs.indexOf(k)) / Math.max(1, xs.length - 1) + (i - (series.length - 1) / 2) * 3;
  const y = (value: number) => top + (height - top - bottom) * (1 - axis.at(value));
  const grid = axis.ticks.map(
    (tick) =>
      `<line x1="${left}" y1="${y(tick).toFixed(1)}" x2="${left + plotWidth}" y2="${y(tick).toFixed(1)}" stroke="#e3e5ee"/><text x="${left - 6}" y="${(y(tick) + 4).toFixed(1)}" text-anchor="end">${escape(format(tick))}</text>`,
  );
  const xLabels = xs.map((k) => `<text x="${x(k, (series.length - 1) / 2)}" y="${height - 10}" text-anchor="middle">${k}</text>`);
  const lines = series.map((s, i) => {
    const path = s.points.map((p) => `${x(p.x, i).toFixed(1)},${y(p.value).toFixed(1)}`).join(' ');
    const { color, dash } = lineStyle(i);
    return `<polyline points="${path}" fill="none" stroke="${color}" stroke-width="2" stroke-dasharray="${dash}"/>`;
  });
  const markers = series.flatMap((s, i) =>
    s.points.map((p) => marker(i, x(p.x, i), y(p.value), `class="point" data-strategy="${escape(s.name)}" data-instances="${p.x}" data-value="${p.value}"`)),
  );
  const legend = series.map((s, i) => {
    const [lx, ly] = [left + plotWidth + 20, top + 12 + i * rowHeight];
    const { color, dash } = lineStyle(i);
    return `<g class="key" data-strategy="${escape(s.name)}"><line x1="${lx}" y1="${ly - 4}" x2="${lx + 28}" y2="${ly - 4}" stroke="${color}" stroke-width="2" stroke-dasharray="${dash}"/>${marker(i, lx + 14, ly - 4, '')}<text x="${lx + 34}" y="${ly}">${escape(s.name)}</text></g>`;
  });
  const body = `<g data-axis="${axis.kind}" data-lo="${axis.lo}" data-hi="${axis.hi}" data-top="${top}" data-bottom="${height - bottom}">${grid.join('')}</g>${xLabels.join('')}${lines.join('')}${markers.join('')}${legend.join('')}`;
  return figure(id, `${title} (${axis.kind} scale)`, width, height, body);
}

/** Eight colours that stay apart for most colour vision (Okabe and Ito's, yellow darkened), then a near-black and a brown. */
const COLOURS = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#b8860b', '#56b4e9', '#1d232b', '#8c564b'] as const;
const DASHES = ['', '6 3', '2 3', '8 3 2 3'] as const;
const SHAPES = ['circle', 'square', 'triangle', 'diamond'] as const;

/**
 * The look of the i-th line: the colours in turn, plain, then dashed, dotted and dash-dotted;
 * the marker turns with both, so two lines of one colour differ in dash and in marker. Distinct
 * for 32 lines, enough for every strategy the lab has or plans.
 */
function lineStyle(i: number): { color: string; dash: string; shape: (typeof SHAPES)[number] } {
  const round = Math.floor(i / COLOURS.length);
  return { color: COLOURS[i % COLOURS.length]!, dash: DASHES[round % DASHES.length]!, shape: SHAPES[(i + round) % SHAPES.length]! };
}

function marker(i: number, cx: number, cy: number, attributes: string): string {
  const { color, shape } = lineStyle(i);
  const [a, b] = [cx.toFixed(1), cy.toFixed(1)];
  const common = `${attributes} data-shape="${shape}" fill="${color}"`;
  if (shape === 'circle') return `<circle ${common} cx="${a}" cy="${b}" r="3.5"/>`;
  if (shape === 'square') return `<rect ${common} x="${(cx - 3.5).toFixed(1)}" y="${(cy - 3.5).toFixed(1)}" width="7" height="7"/>`;
  const points =
    shape === 'triangle'
      ? [
          [0, -4.5],
          [4, 3],
          [-4, 3],
        ]
      : [
          [0, -4.5],
          [4.5, 0],
          [0, 4.5],
          [-4.5, 0],
        ];
  return `<polygon ${common} points="${points.map(([dx, dy]) => `${(cx + dx!).toFixed(1)},${(cy + dy!).toFixed(1)}`).join(' ')}"/>`;
}

function figure(id: string, title: string, width: number, height: number, body: string, note = ''): string {
  return `<figure><figcaption>${escape(title)}</figcaption><svg id="chart-${id}" role="img" aria-label="${escape(title)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${body}</svg>${note}</figure>`;
}

function dataAttributes(data: Record<string, string | number>): string {
  return Object.entries(data)
    .map(([key, value]) => `data-${key}="${escape(value)}"`)
    .join(' ');
}
