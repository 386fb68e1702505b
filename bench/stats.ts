import type { HelloResult, Latency } from './report.js';

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

/** The median of values each run may lack (a figure /proc could not give): none unless every run has one. */
export function medianOfAll(values: readonly (number | undefined)[]): number | undefined {
  return values.length > 0 && values.every((value) => value !== undefined) ? median(values) : undefined;
}

/** Medians over /hello runs: throughput, each latency percentile, and server CPU per request if every run has it. */
export function summariseHellos(runs: readonly HelloResult[]): HelloResult {
  const serverCpuUsPerRequest = medianOfAll(runs.map((run) => run.serverCpuUsPerRequest));
  return {
    throughput: median(runs.map((run) => run.throughput)),
    latency: medianLatency(runs.map((run) => run.latency)),
    ...(serverCpuUsPerRequest === undefined ? {} : { serverCpuUsPerRequest }),
  };
}
