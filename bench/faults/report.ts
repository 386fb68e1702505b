import type { Protection } from '../../src/strategies/issue-strategy.js';
import type { StrategyName } from '../../src/strategies/names.js';
import type { Answers } from '../../lab-client/tally.js';
import type { Verdict } from '../../lab-client/verdict.js';
import type { Commit, Machine } from '../report.js';

/**
 * What one fault bench run found: for each fault, a crowd per strategy while it was injected,
 * then what MySQL holds. The table, `--json` and the HTML report are rendered from this object.
 */
export interface FaultReport {
  version: 1;
  startedAt: string;
  /** Wall clock of the whole run, private instances and servers included. */
  wallMs: number;
  machine: Machine;
  /** The code that ran; absent without git. */
  commit?: Commit;
  runs: FaultRun[];
  /** True when every run showed only what its strategy may show under its fault. */
  ok: boolean;
}

export interface FaultRun {
  /** The fault, e.g. `redis-restart`, and its variant, e.g. `everysec`. */
  fault: string;
  variant?: string;
  /** What was done, in a sentence. */
  what: string;
  strategy: StrategyName;
  /** A setting the strategy ran with in this run, e.g. `watchdog`. */
  setting?: string;
  protection: Protection;
  quantity: number;
  /** Requests sent: one per user. */
  sent: number;
  answers: Answers;
  /** Answers 500: never acceptable, whatever failed. */
  internalErrors: number;
  /** Answers 503 (SERVICE_UNAVAILABLE, LOCK_TIMEOUT, LEASE_EXPIRED): a clear "try again"; `answers.errors` has them by code. */
  unavailable: number;
  /** Requests that got no answer: a connection reset or refused, or no answer in 20 s. */
  unanswered: number;
  rows: number;
  overIssued: number;
  duplicated: number;
  /** Told yes, no row, nothing recorded. */
  lost: number;
  /** `lost` over the requests told yes: the share of winners told they won who never get a coupon. */
  lostRate: number;
  /** Told yes, then revoked by the consumer, visibly. */
  revoked: number;
  /** COUPON_SOLD_OUT answers given while places remained, at least (lab-client/sold-out.ts). */
  soldOutWhileAvailable: number;
  /** Places the killed process held unsold in its blocks (leased-stock), and how long until they were back. */
  stranded?: { places: number; forMs?: number };
  /** When the fault began and ended, ms into the crowd. */
  faultMs?: { fromMs: number; toMs: number };
  /** Requests sent while the fault lasted. */
  sentDuringFault?: number;
  /** From the end of the fault to the answer of the first request sent after it that succeeded, ms; absent if none did. */
  recoverMs?: number;
  /** From the last answer until the consumer had written everything (asynchronous strategies). */
  drainMs?: number;
  verdict: Verdict;
  /** Verdicts this strategy may show under this fault: EXACT, and what docs/faults.md explains. */
  allowed: Verdict[];
  ok: boolean;
  /** What happened that the figures alone do not say (e.g. whether the paused process held the lock). */
  notes: string[];
  error?: string;
}
