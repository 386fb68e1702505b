/** A value axis for a chart: where a value sits between its ends, and the ticks to label. */
export interface Axis {
  kind: 'log' | 'linear';
  lo: number;
  hi: number;
  ticks: number[];
  /** 0 at `lo`, 1 at `hi`. */
  at(value: number): number;
}

/** Round values an axis may start, end or tick at: 1, 2, 3 and 5 times a power of ten. */
const NICE = [1, 2, 3, 5];
/** Data spread over more than this factor gets a log axis; a narrower spread reads better on a linear one. */
const LOG_FROM = 4;

/** The axis for `values`, from their own smallest and largest: never decades the data does not reach. */
export function valueAxis(values: readonly number[]): Axis {
  const finite = values.filter((value) => Number.isFinite(value));
  const min = Math.min(...finite);
  const max = Math.max(...finite);
  if (finite.length && min > 0 && max / min > LOG_FROM) return logAxis(niceBelow(min), niceAbove(max));
  return linearAxis(finite.length ? Math.max(max, 0) : 0);
}

function logAxis(lo: number, hi: number): Axis {
  const ticks = niceValues(lo, hi);
  const span = Math.log10(hi) - Math.log10(lo);
  return { kind: 'log', lo, hi, ticks, at: (value) => (Math.log10(Math.min(Math.max(value, lo), hi)) - Math.log10(lo)) / span };
}

/** From 0, so that a line's height is its size, in steps of a nice value. */
function linearAxis(max: number): Axis {
  const step = niceAbove(max > 0 ? max / 5 : 1);
  const hi = Math.max(step, Math.ceil(max / step) * step);
  const ticks = Array.from({ length: Math.round(hi / step) + 1 }, (_, i) => i * step);
  return { kind: 'linear', lo: 0, hi, ticks, at: (value) => Math.min(Math.max(value, 0), hi) / hi };
}

/** Every nice value from `lo` to `hi`, both included. */
function niceValues(lo: number, hi: number): number[] {
  const values: number[] = [];
  for (let power = 10 ** Math.floor(Math.log10(lo)); power <= hi; power *= 10) {
    for (const n of NICE) if (n * power >= lo * (1 - 1e-9) && n * power <= hi * (1 + 1e-9)) values.push(round(n * power));
  }
  return values;
}

function niceBelow(value: number): number {
  const power = 10 ** Math.floor(Math.log10(value));
  return round(Math.max(...NICE.filter((n) => n * power <= value * (1 + 1e-9))) * power);
}

function niceAbove(value: number): number {
  const power = 10 ** Math.floor(Math.log10(value));
  const n = NICE.find((candidate) => candidate * power >= value * (1 - 1e-9));
  return round(n === undefined ? 10 * power : n * power);
}

/** Powers of ten below 1 are not exact in binary: 0.30000000000000004 labels nothing well. */
function round(value: number): number {
  return Number(value.toPrecision(12));
}
