import type { Latency } from './report.js';

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Each percentile's median over the runs (not a percentile of the pooled requests). */
export function medianLatency(latencies: readonly Latency[]): Latency {
  return {
    p50: median(latencies.map((l) => l.p50)),
    p90: median(latencies.map((l) => l.p90)),
    p99: median(latencies.map((l) => l.p99)),
    max: median(latencies.map((l) => l.max)),
  };
}
