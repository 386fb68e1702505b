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

export interface Bar {
  label: string;
  value: number;
  protection: Protection;
  /** data-* attributes naming what the bar stands for. */
  data: Record<string, string | number>;
}

/** Horizontal bars from zero, one per row, each labelled with its value as `format` writes it. */
export function barChart(id: string, title: string, bars: readonly Bar[], format: (value: number) => string): string {
  const [rowHeight, left, width] = [26, 150, 520];
  const height = bars.length * rowHeight + 10;
  const max = Math.max(...bars.map((b) => b.value), 1e-9);
  const items = bars.map((bar, i) => {
    const y = 5 + i * rowHeight;
    const w = Math.max(bar.value > 0 ? 2 : 0, ((width - left - 90) * bar.value) / max);
    return `<g><text x="${left - 8}" y="${y + 16}" text-anchor="end">${escape(bar.label)}</text>
<rect class="bar" ${dataAttributes(bar.data)} data-value="${bar.value}" x="${left}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowHeight - 8}" fill="${PROTECTION_COLORS[bar.protection]}"/>
<text x="${left + w + 6}" y="${y + 16}">${escape(format(bar.value))}</text></g>`;
  });
  return figure(id, title, width, height, items.join(''));
}

export interface Series {
  name: string;
  points: { x: number; value: number }[];
}

/**
 * Lines of values against x (the number of server processes), on an axis fitted to the values (log
 * when they spread widely, as lua's throughput beside the others'). Lines that coincide stay
 * visible: each has its own colour, dash and marker, and is shifted a few pixels sideways.
 */
export function lineChart(id: string, title: string, xs: readonly number[], series: readonly Series[], format: (value: number) => string): string {
  const [width, height, left, right, top, bottom] = [560, 260, 56, 130, 10, 30];
  const axis = valueAxis(series.flatMap((s) => s.points.map((p) => p.value)));
  const x = (k: number, i: number) => left + ((width - left - right) * xs.indexOf(k)) / Math.max(1, xs.length - 1) + (i - (series.length - 1) / 2) * 3;
  const y = (value: number) => top + (height - top - bottom) * (1 - axis.at(value));
  const grid = axis.ticks.map(
    (tick) =>
      `<line x1="${left}" y1="${y(tick).toFixed(1)}" x2="${width - right}" y2="${y(tick).toFixed(1)}" stroke="#e3e5ee"/><text x="${left - 6}" y="${(y(tick) + 4).toFixed(1)}" text-anchor="end">${escape(format(tick))}</text>`,
  );
  const xLabels = xs.map((k) => `<text x="${x(k, (series.length - 1) / 2)}" y="${height - 10}" text-anchor="middle">${k}</text>`);
  const lines = series.map((s, i) => {
    const path = s.points.map((p) => `${x(p.x, i).toFixed(1)},${y(p.value).toFixed(1)}`).join(' ');
    return `<polyline points="${path}" fill="none" stroke="${style(i).color}" stroke-width="2" stroke-dasharray="${style(i).dash}"/>`;
  });
  const markers = series.flatMap((s, i) =>
    s.points.map((p) => marker(i, x(p.x, i), y(p.value), `class="point" data-strategy="${escape(s.name)}" data-instances="${p.x}" data-value="${p.value}"`)),
  );
  const legend = series.map((s, i) => {
    const ly = top + 12 + i * 18;
    const { color, dash } = style(i);
    return `<line x1="${width - right + 10}" y1="${ly - 4}" x2="${width - right + 38}" y2="${ly - 4}" stroke="${color}" stroke-width="2" stroke-dasharray="${dash}"/>${marker(i, width - right + 24, ly - 4, 'class="key"')}<text x="${width - right + 44}" y="${ly}">${escape(s.name)}</text>`;
  });
  const body = `<g data-axis="${axis.kind}" data-lo="${axis.lo}" data-hi="${axis.hi}" data-top="${top}" data-bottom="${height - bottom}">${grid.join('')}</g>${xLabels.join('')}${lines.join('')}${markers.join('')}${legend.join('')}`;
  return figure(id, `${title} (${axis.kind} scale)`, width, height, body);
}

const LINE_STYLES = [
  { color: '#c62828', dash: '', shape: 'circle' },
  { color: '#ad1457', dash: '6 3', shape: 'square' },
  { color: '#ef6c00', dash: '2 3', shape: 'triangle' },
  { color: '#1565c0', dash: '8 3 2 3', shape: 'diamond' },
  { color: '#6a1b9a', dash: '', shape: 'square' },
  { color: '#2e7d32', dash: '6 3', shape: 'circle' },
  { color: '#00838f', dash: '2 3', shape: 'diamond' },
] as const;

const style = (i: number) => LINE_STYLES[i % LINE_STYLES.length]!;

function marker(i: number, cx: number, cy: number, attributes: string): string {
  const { color, shape } = style(i);
  const [a, b] = [cx.toFixed(1), cy.toFixed(1)];
  if (shape === 'circle') return `<circle ${attributes} cx="${a}" cy="${b}" r="3.5" fill="${color}"/>`;
  if (shape === 'square') return `<rect ${attributes} x="${(cx - 3.5).toFixed(1)}" y="${(cy - 3.5).toFixed(1)}" width="7" height="7" fill="${color}"/>`;
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
  return `<polygon ${attributes} points="${points.map(([dx, dy]) => `${(cx + dx!).toFixed(1)},${(cy + dy!).toFixed(1)}`).join(' ')}" fill="${color}"/>`;
}

function figure(id: string, title: string, width: number, height: number, body: string): string {
  return `<figure><figcaption>${escape(title)}</figcaption><svg id="chart-${id}" role="img" aria-label="${escape(title)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${body}</svg></figure>`;
}

function dataAttributes(data: Record<string, string | number>): string {
  return Object.entries(data)
    .map(([key, value]) => `data-${key}="${escape(value)}"`)
    .join(' ');
}
