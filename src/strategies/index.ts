import { createAtomicUpdate } from './atomic-update.js';
import { createFencedLock } from './fenced-lock.js';
import { createIncrBroker } from './incr-broker.js';
import { createIncrBrokerConfirm } from './incr-broker-confirm.js';
import type { IssueStrategy, StrategyDeps, StrategyFactory } from './issue-strategy.js';
import { createLeasedStock } from './leased-stock.js';
import { createLua } from './lua.js';
import { createLuaBuckets } from './lua-buckets.js';
import { createMutex } from './mutex.js';
import { createMutexInTx } from './mutex-in-tx.js';
import { STRATEGY_VARIANTS, type StrategyName } from './names.js';
import { createNamedLock } from './named-lock.js';
import { observed } from './observed.js';
import { createOptimistic } from './optimistic.js';
import { createPubsubLock } from './pubsub-lock.js';
import { createRecordLock } from './record-lock.js';
import { createRedisLock } from './redis-lock.js';
import { createSkipLocked } from './skip-locked.js';
import { createSpinLock } from './spin-lock.js';
import { createUnsafe } from './unsafe.js';

export { isStrategyName, STRATEGY_NAMES, STRATEGY_VARIANTS, type StrategyChoice, type StrategyName } from './names.js';
export type { Dependency, HandOff, IssueResult, IssueStrategy, LockWaits, Protection, StrategyCard, StrategyDeps, StrategyObserver } from './issue-strategy.js';

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
  'skip-locked': createSkipLocked,
  'leased-stock': createLeasedStock,
  lua: createLua,
  'lua-buckets': createLuaBuckets,
  'incr-broker': createIncrBroker,
  'incr-broker-confirm': createIncrBrokerConfirm,
} satisfies Record<StrategyName, StrategyFactory>;

export type Strategies = Readonly<Record<StrategyName, IssueStrategy>>;

/** Every strategy, each telling the observer how it answered. */
export function createStrategies(deps: StrategyDeps): Strategies {
  const entries = Object.entries(registry).map(([name, factory]) => {
    const strategy = factory(deps);
    if (strategy.name !== name) throw new Error(`the registry names ${name} a strategy that calls itself ${strategy.name}`);
    const variants = Object.keys(strategy.variants ?? {}).map((variant) => `${name}:${variant}`);
    const listed = STRATEGY_VARIANTS.filter((variant) => variant.startsWith(`${name}:`));
    if (variants.join() !== listed.join())
      throw new Error(`${name} has the variants ${variants.join(', ') || 'none'}, names.ts lists ${listed.join(', ') || 'none'}`);
    return [name, observed(strategy, deps.observer)];
  });
  return Object.freeze(Object.fromEntries(entries)) as Strategies;
}
