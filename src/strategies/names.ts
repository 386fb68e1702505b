/**
 * The strategies' names, in the order the lab shows them, apart from their implementations: the
 * CLI's options and help list them, and loading every strategy (and with them the Redis, MySQL and
 * lock libraries) to print a name would make `coupon-lab --help` slow. The registry in index.ts
 * must give each name an implementation, and can give none to a name missing here.
 */
export const STRATEGY_NAMES = [
  'unsafe',
  'mutex-in-tx',
  'mutex',
  'spin-lock',
  'pubsub-lock',
  'redis-lock',
  'fenced-lock',
  'named-lock',
  'optimistic',
  'record-lock',
  'atomic-update',
  'lua',
  'leased-stock',
  'skip-locked',
] as const;

export type StrategyName = (typeof STRATEGY_NAMES)[number];

export function isStrategyName(name: string): name is StrategyName {
  return (STRATEGY_NAMES as readonly string[]).includes(name);
}
