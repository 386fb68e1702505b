import { createAtomicUpdate } from './atomic-update.js';
import { createFencedLock } from './fenced-lock.js';
import type { IssueStrategy, StrategyDeps, StrategyFactory } from './issue-strategy.js';
import { createLeasedStock } from './leased-stock.js';
import { createLua } from './lua.js';
import { createMutex } from './mutex.js';
import { createMutexInTx } from './mutex-in-tx.js';
import type { StrategyName } from './names.js';
import { createNamedLock } from './named-lock.js';
import { observed } from './observed.js';
import { createOptimistic } from './optimistic.js';
import { createPubsubLock } from './pubsub-lock.js';
import { createRecordLock } from './record-lock.js';
import { createRedisLock } from './redis-lock.js';
import { createSkipLocked } from './skip-locked.js';
import { createSpinLock } from './spin-lock.js';
import { createUnsafe } from './unsafe.js';

export { isStrategyName, STRATEGY_NAMES, type StrategyName } from './names.js';
export type { Dependency, IssueResult, IssueStrategy, LockWaits, Protection, StrategyDeps, StrategyObserver } from './issue-strategy.js';

/**
 * The one place a strategy name becomes an implementation, in the order the lab shows them:
 * adding a strategy is its file, its name in names.ts and one line here. Everything that lists
 * strategies (the API, the CLI, the bench, the fault bench, the tests, /metrics) reads this.
 */
const registry = {
  unsafe: createUnsafe,
  'mutex-in-tx': createMutexInTx,
  mutex: createMutex,
  'spin-lock': createSpinLock,
  'pubsub-lock': createPubsubLock,
  'redis-lock': createRedisLock,
  'fenced-lock': createFencedLock,
  'named-lock': createNamedLock,
  optimistic: createOptimistic,
  'record-lock': createRecordLock,
  'atomic-update': createAtomicUpdate,
  lua: createLua,
  'leased-stock': createLeasedStock,
  'skip-locked': createSkipLocked,
} satisfies Record<StrategyName, StrategyFactory>;

export type Strategies = Readonly<Record<StrategyName, IssueStrategy>>;

/** Every strategy, each telling the observer how it answered. */
export function createStrategies(deps: StrategyDeps): Strategies {
  const entries = Object.entries(registry).map(([name, factory]) => {
    const strategy = factory(deps);
    if (strategy.name !== name) throw new Error(`the registry names ${name} a strategy that calls itself ${strategy.name}`);
    return [name, observed(strategy, deps.observer)];
  });
  return Object.freeze(Object.fromEntries(entries)) as Strategies;
}
