import { readdirSync, readFileSync } from 'node:fs';
import { descendants } from '../harness/processes.js';
import { httpHello, type Crowd, type HelloRun, type Shown } from './load.js';
import type { HelloResult } from './report.js';

/**
 * CPU time a server used while it was measured, read from outside it: the nanoseconds the kernel
 * counted on CPU (user and system) for every thread of the process and of its descendants, the
 * node:cluster workers and the primary with its consumer alike, from /proc/<pid>/task/<tid>/schedstat.
 * Read from outside, so that reading costs the server nothing (a /metrics scrape would cost it
 * CPU inside the very window it measures, as much as a small crowd's answers), and the same way
 * for every server the bench measures, a bare node:http one included. To the nanosecond, where
 * /proc/<pid>/stat counts in clock ticks. Linux only: elsewhere there is no reading, and the
 * report no CPU figure.
 */
export type CpuReading = ReadonlyMap<number, number>;

/** Nanoseconds on CPU by thread id, over the process `pid` and its descendants; undefined where /proc cannot say. */
export function readCpu(pid: number | undefined): CpuReading | undefined {
  if (pid === undefined || threadIds(pid) === undefined) return undefined;
  const threads = new Map<number, number>();
  for (const member of [pid, ...descendants(pid)]) {
    for (const tid of threadIds(member) ?? []) {
      const ns = nsOnCpu(member, tid);
      if (ns !== undefined) threads.set(tid, ns);
    }
  }
  return threads;
}

/** A process's threads; undefined when it is gone, or where there is no /proc (not Linux). */
function threadIds(pid: number): number[] | undefined {
  try {
    return readdirSync(`/proc/${pid}/task`).map(Number);
  } catch {
    return undefined;
  }
}

/** The first field of schedstat: time on CPU, ns. Undefined for a thread that ended since it was listed. */
function nsOnCpu(pid: number, tid: number): number | undefined {
  try {
    return Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
  } catch {
    return undefined;
  }
}

/**
 * Milliseconds on CPU between two readings. A thread that started in between counts from its
 * start; one that ended in between is not seen after and counts nothing (a server's threads live
 * as long as it does).
 */
export function cpuMsBetween(before: CpuReading | undefined, after: CpuReading | undefined): number | undefined {
  if (!before || !after) return undefined;
  let ns = 0;
  for (const [tid, total] of after) ns += total - (before.get(tid) ?? 0);
  return ns / 1e6;
}

/** Runs `work`, and returns with what it returns the CPU ms the server `pid` used meanwhile, if /proc says. */
async function withServerCpu<T>(pid: number | undefined, work: () => Promise<T>): Promise<[T, number | undefined]> {
  const before = readCpu(pid);
  const value = await work();
  return [value, cpuMsBetween(before, readCpu(pid))];
}

/** A `GET /hello` run with the CPU the server `pid` used per request answered, µs, if /proc says. */
export async function helloWithCpu(
  url: string,
  pid: number | undefined,
  crowd: Crowd,
  shown?: Shown,
  signal?: AbortSignal,
): Promise<HelloRun & Pick<HelloResult, 'serverCpuUsPerRequest'>> {
  const [hello, cpuMs] = await withServerCpu(pid, () => httpHello(url, crowd, shown, signal));
  return cpuMs === undefined ? hello : { ...hello, serverCpuUsPerRequest: (cpuMs * 1000) / hello.requests };
}
