import { performance } from 'node:perf_hooks';
import type { Answers, Tally } from '../lab-client/tally.js';
import type { StrategyName } from '../src/strategies/names.js';
import type { RunResult, StrategyResult } from './report.js';

/** One run of one strategy, as the events name it: `record-lock` on 2 processes, run 1 of 3. */
export interface RunKey {
  strategy: StrategyName;
  instances: number;
  /** From 1. */
  run: number;
  runs: number;
}

/** What the bench waits for before a run's crowd. */
export type Stage = 'starting servers' | 'warm-up' | 'GET /hello';

/**
 * What a bench tells while it runs, for whoever watches it live (the console's lanes). It says what
 * is happening; what was found is still the report `runBench` returns, and these print nothing.
 */
export type BenchEvent =
  | { type: 'stage'; instances: number; strategy?: StrategyName; stage: Stage }
  | ({ type: 'run-started'; couponId: number } & RunKey)
  /** The run's answers so far, by kind: every ANSWERS_EVERY_MS while its crowd runs, and once at its end. */
  | ({ type: 'answers'; elapsedMs: number; answers: Answers } & RunKey)
  /** The crowd is done; the bench waits for the consumer to write what was accepted (asynchronous strategies). */
  | ({ type: 'drain-started' } & RunKey)
  /** What MySQL held once the run was drained and counted. */
  | ({ type: 'run-ended'; result: RunResult } & RunKey)
  /** The medians and the worst verdict over the strategy's runs in one setting. */
  | { type: 'strategy-ended'; result: StrategyResult };

export type OnBenchEvent = (event: BenchEvent) => void;

/** Often enough for a lane to fill smoothly, rare enough to cost the load generator nothing it can see. */
export const ANSWERS_EVERY_MS = 100;

/**
 * Runs `work` (a crowd counting its answers into `tally`), calling `report` with a copy of the
 * answers so far and the time since it began every ANSWERS_EVERY_MS, and once more when it ends.
 */
export async function reportingAnswers<T>(tally: Tally, report: (answers: Answers, elapsedMs: number) => void, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const tell = () => report({ ...tally.answers, errors: { ...tally.answers.errors } }, performance.now() - started);
  const timer = setInterval(tell, ANSWERS_EVERY_MS);
  try {
    return await work();
  } finally {
    clearInterval(timer);
    tell();
  }
}
