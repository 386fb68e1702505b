import { createFencedLock } from './fenced-lock.js';
import type { IssueStrategy, StrategyDeps, StrategyFactory } from './issue-strategy.js';
import { createLua } from './lua.js';
import { createMutex } from './mutex.js';
import { createMutexInTx } from './mutex-in-tx.js';
import type { StrategyName } from './names.js';
import { observed } from './observed.js';
import { createRecordLock } from './record-lock.js';
import { createRedisLock } from './redis-lock.js';
import { createUnsafe } from './unsafe.js';

export { STRATEGY_NAMES, isStrategyName, type StrategyName } from './names.js';
export type { Dependency, IssueResult, IssueStrategy, Protection, StrategyDeps, StrategyObserver } from './issue-strategy.js';

/** The one place a strategy name becomes an implementation. */
export const strategyFactories = {
  unsafe: createUnsafe,
  'mutex-in-tx': createMutexInTx,
  mutex: createMutex,
  'redis-lock': createRedisLock,
  'fenced-lock': createFencedLock,
  'record-lock': createRecordLock,
  lua: createLua,
} satisfies Record<StrategyName, StrategyFactory>;

export type Strategies = Readonly<Record<StrategyName, IssueStrategy>>;

export function createStrategies(deps: StrategyDeps): Strategies {
  const entries = Object.entries(strategyFactories).map(([name, factory]) => [name, observed(factory(deps), deps.observer)]);
  return Object.freeze(Object.fromEntries(entries)) as Strategies;
}
