import type { BenchEvent } from '../bench/events.js';
import type { FaultEvent } from '../bench/faults/events.js';
import type { FaultReport } from '../bench/faults/report.js';
import type { BenchReport } from '../bench/report.js';
import type { Verdict } from '../lab-client/verdict.js';
import type { Dependency, Protection, StrategyCard } from '../src/strategies/issue-strategy.js';
import type { StrategyName } from '../src/strategies/names.js';

// What the console's server and its page say to each other: types only, imported by both sides
// (the page's bundle keeps none of it).

export interface StrategyEntry {
  name: StrategyName;
  protection: Protection;
  asynchronous: boolean;
  uses: readonly Dependency[];
  card: StrategyCard;
  /** Its file, from the project's root: `src/strategies/<name>.ts`. */
  source: string;
}

export interface FaultEntry {
  fault: string;
  /** Each variant the fault runs in (`appendfsync always`), and what is done in it; one with no name for most. */
  variants: { variant?: string; what: string }[];
  /** The strategies the fault reaches (each variant reaches the same). */
  reaches: StrategyName[];
}

export interface Limit {
  min: number;
  max: number;
}

/** A race as the page asks for one: always over HTTP, against server processes of their own. */
export interface RaceRequest {
  strategies: StrategyName[];
  users: number;
  requestsPerUser: number;
  quantity: number;
  concurrency: number;
  /** Server processes: each count is a race of its own, one after the other. */
  instances: number[];
  /** Runs per strategy and count; medians are reported. */
  repeat: number;
}

export interface FaultRequest {
  fault: string;
  strategies: StrategyName[];
}

/** What the page needs before anything runs. */
export interface Catalog {
  strategies: StrategyEntry[];
  faults: FaultEntry[];
  limits: Record<Exclude<keyof RaceRequest, 'strategies'>, Limit>;
  /** What the form starts with: the race the lab's README teaches with. */
  defaults: RaceRequest;
  /** The error codes a server answers with 503 ("try again"): the lanes count them apart from other errors. */
  unavailableCodes: string[];
  /** The folder the runs are saved in. */
  runsFolder: string;
}

export type RunKind = 'race' | 'faults';

/** A saved run: the bench's JSON (what `bench --out` writes) or the fault bench's. */
export type StoredReport = { kind: 'race'; report: BenchReport } | { kind: 'faults'; report: FaultReport };

/** A saved run as the list shows it. */
export interface SavedRun {
  /** Its file's name without `.json`. */
  id: string;
  kind: RunKind;
  startedAt: string;
  ok: boolean;
  /** What was run, in a line: `400 users for 50 places, 1 process`, `server-kill`. */
  title: string;
  verdicts: { label: string; verdict: Verdict; ok: boolean }[];
}

/** What the console streams to the page, numbered so that a page that reconnects can tell what it has seen. */
export type ConsoleEvent = { seq: number } & (
  | { type: 'run-started'; kind: RunKind; request: RaceRequest | FaultRequest; startedAt: string }
  | { type: 'race'; event: BenchEvent }
  | { type: 'fault'; event: FaultEvent }
  | { type: 'run-saved'; saved: SavedRun }
  | { type: 'run-stopped' }
  | { type: 'run-failed'; message: string }
);

/** A figure of the decision table and the run it came from. */
export interface Sourced<T> {
  value: T;
  runId: string;
}

/** What the latest runs say of one strategy. */
export interface DecisionRow {
  strategy: StrategyName;
  protection: Protection;
  needs: string;
  /** The latest race of it on one process, and on more than one. */
  oneProcess?: Sourced<RaceFigures>;
  processes?: Sourced<RaceFigures>;
  /** The latest run of it under each fault, by fault (and variant, and setting). */
  faults: { label: string; run: Sourced<{ verdict: Verdict; ok: boolean }> }[];
}

export interface RaceFigures {
  instances: number;
  verdict: Verdict;
  ok: boolean;
  throughput: number;
  p99: number;
}
