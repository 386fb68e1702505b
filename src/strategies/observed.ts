import { performance } from 'node:perf_hooks';
import { failureCode } from '../core/failures.js';
import type { Metrics } from '../core/metrics.js';
import type { IssueResult, IssueStrategy, StrategyObserver } from './issue-strategy.js';

/**
 * The same strategy, telling the observer how each request ended and how long it took. A
 * decorator rather than code in each strategy, so no strategy can forget to count.
 */
export function observed(strategy: IssueStrategy, observer: StrategyObserver): IssueStrategy {
  const { name } = strategy;
  return {
    name,
    protection: strategy.protection,
    uses: strategy.uses,
    lockWaits: strategy.lockWaits,
    asynchronous: strategy.asynchronous,
    card: strategy.card,
    ...(strategy.handOff ? { handOff: strategy.handOff } : {}),
    ...(strategy.variants ? { variants: strategy.variants } : {}),
    async issue(request): Promise<IssueResult> {
      const startedAt = performance.now();
      let result: IssueResult;
      try {
        result = await strategy.issue(request);
      } catch (error) {
        observer.answered(name, 'failed', failureCode(error), performance.now() - startedAt);
        throw error;
      }
      const code = result.outcome === 'refused' ? result.code : result.outcome.toUpperCase();
      observer.answered(name, result.outcome, code, performance.now() - startedAt);
      return result;
    },
    async close() {
      await strategy.close?.();
    },
  };
}

/** Starts timing a wait for a lock; call the result once the lock is held. */
export function lockWait(observer: StrategyObserver, strategy: string): () => void {
  const startedAt = performance.now();
  return () => observer.lockAcquired(strategy, performance.now() - startedAt);
}

/** What strategies report, turned into the counters and histograms of /metrics. */
export function metricsObserver(metrics: Metrics): StrategyObserver {
  return {
    answered(strategy, outcome, code, elapsedMs) {
      metrics.issues.inc({ strategy, outcome, code });
      metrics.issueSeconds.observe({ strategy, outcome }, elapsedMs / 1000);
    },
    lockAcquired(strategy, waitedMs) {
      metrics.lockWaitSeconds.observe({ strategy }, waitedMs / 1000);
    },
    retried(strategy) {
      metrics.retries.inc({ strategy });
    },
    handOffFailed(strategy) {
      metrics.handOffFailures.inc({ strategy });
    },
  };
}
