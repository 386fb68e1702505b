import { performance } from 'node:perf_hooks';
import { failureCode } from '../core/errors.js';
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
    ...(strategy.variants ? { variants: strategy.variants } : {}),
    asynchronous: strategy.asynchronous,
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
  };
}

/** Starts timing a wait for a lock; call the result once the lock is held. */
export function lockWait(observer: StrategyObserver, strategy: IssueStrategy['name']): () => void {
  const startedAt = performance.now();
  return () => observer.lockAcquired(strategy, performance.now() - startedAt);
}
