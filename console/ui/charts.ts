import uPlot from 'uplot';
import { el } from './dom.js';

export interface Line {
  label: string;
  color: string;
}

/** A span of the x axis to shade (a fault's window), and instants to mark (recovery). */
export interface Marks {
  band?: { from: number; to: number; label: string };
  lines?: { at: number; label: string }[];
}

export interface Chart {
  readonly element: HTMLElement;
  /** Redraws with these x values (seconds) and one array of values per line. */
  update(xs: number[], values: number[][], marks?: Marks): void;
}

const HEIGHT = 150;

/**
 * A small line chart over time (uPlot, on a canvas): the lines are named in the element's
 * accessible name and in the counts beside it, not in a legend of uPlot's own. It fits its
 * container's width and follows it.
 */
export function lineChart(description: string, lines: readonly Line[], yLabel: string): Chart {
  const element = el('div', { class: 'chart', role: 'img', 'aria-label': `${description}: ${lines.map((line) => line.label).join(', ')}` });
  let marks: Marks = {};
  const plot = new uPlot(
    {
      width: 300,
      height: HEIGHT,
      legend: { show: false },
      cursor: { show: false },
      scales: { x: { time: false } },
      axes: [
        { label: 'seconds', size: 36, labelSize: 16, font: '11px system-ui', labelFont: '11px system-ui', stroke: '#4a5560' },
        { label: yLabel, size: 48, labelSize: 16, font: '11px system-ui', labelFont: '11px system-ui', stroke: '#4a5560' },
      ],
      series: [{}, ...lines.map((line) => ({ label: line.label, stroke: line.color, width: 2, points: { show: false } }))],
      hooks: { drawClear: [(u) => drawBand(u, marks)], draw: [(u) => drawLines(u, marks)] },
    },
    [[], ...lines.map(() => [])],
    element,
  );
  new ResizeObserver(() => plot.setSize({ width: Math.max(200, element.clientWidth), height: HEIGHT })).observe(element);
  return {
    element,
    update(xs, values, next = {}) {
      marks = next;
      plot.setData([xs, ...values]);
    },
  };
}

function drawBand(u: uPlot, { band }: Marks): void {
  if (!band) return;
  const { ctx, bbox } = u;
  const x0 = u.valToPos(band.from, 'x', true);
  const x1 = Math.max(x0 + 2, u.valToPos(band.to, 'x', true));
  ctx.save();
  ctx.fillStyle = 'rgba(198, 40, 40, 0.14)';
  ctx.fillRect(x0, bbox.top, x1 - x0, bbox.height);
  ctx.fillStyle = '#8e1c1c';
  ctx.font = `${11 * devicePixelRatio}px system-ui`;
  ctx.fillText(band.label, x0 + 4 * devicePixelRatio, bbox.top + 12 * devicePixelRatio);
  ctx.restore();
}

function drawLines(u: uPlot, { lines = [] }: Marks): void {
  const { ctx, bbox } = u;
  ctx.save();
  ctx.strokeStyle = '#1b5e20';
  ctx.setLineDash([4 * devicePixelRatio, 3 * devicePixelRatio]);
  ctx.fillStyle = '#1b5e20';
  ctx.font = `${11 * devicePixelRatio}px system-ui`;
  for (const line of lines) {
    const x = u.valToPos(line.at, 'x', true);
    ctx.beginPath();
    ctx.moveTo(x, bbox.top);
    ctx.lineTo(x, bbox.top + bbox.height);
    ctx.stroke();
    ctx.fillText(line.label, x + 4 * devicePixelRatio, bbox.top + bbox.height - 6 * devicePixelRatio);
  }
  ctx.restore();
}
