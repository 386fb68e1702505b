import type { Answers } from '../../lab-client/tally.js';
import type { StrategyName } from '../../src/strategies/names.js';
import type { FaultRun } from './report.js';

/** One run of the fault bench, as the events name it: `redis-restart (appendfsync always)`, `redis-lock (watchdog)`. */
export interface FaultRunKey {
  fault: string;
  variant?: string;
  strategy: StrategyName;
  setting?: string;
}

/**
 * What the fault bench tells while it runs, for whoever watches it live (the console's timeline).
 * Times are ms from the start of the run's crowd, as in the report.
 */
export type FaultEvent =
  /** Private instances or the fleet of servers starting, before the runs of a fault. */
  | { type: 'stage'; fault: string; variant?: string; stage: 'starting instances' | 'starting servers' }
  | ({ type: 'run-started'; quantity: number; what: string } & FaultRunKey)
  /** The run's answers so far, by kind (bench/events.ts's ANSWERS_EVERY_MS). */
  | ({ type: 'answers'; elapsedMs: number; answers: Answers } & FaultRunKey)
  /** The fault was injected at `fromMs` and lifted at `toMs`: told once it is lifted. */
  | ({ type: 'fault'; fromMs: number; toMs: number } & FaultRunKey)
  | { type: 'run-ended'; run: FaultRun };

export type OnFaultEvent = (event: FaultEvent) => void;
