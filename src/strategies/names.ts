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
  'skip-locked',
  'leased-stock',
  'lua',
  'lua-buckets',
  'incr-broker',
  'incr-broker-confirm',
] as const;

export type StrategyName = (typeof STRATEGY_NAMES)[number];

/**
 * The settings a strategy is worth comparing under (its `variants`), each named
 * `<strategy>:<variant>` as the fault bench's --strategy takes them. The registry checks that
 * these are exactly the strategies' variants.
 */
export const STRATEGY_VARIANTS = ['redis-lock:watchdog'] as const satisfies readonly `${StrategyName}:${string}`[];

/** A strategy, or a strategy under one of its variants. */
export type StrategyChoice = StrategyName | (typeof STRATEGY_VARIANTS)[number];

export function isStrategyName(name: string): name is StrategyName {
  return (STRATEGY_NAMES as readonly string[]).includes(name);
}

/**
 * The strategies that publish to RabbitMQ (their `uses` names 'broker'), for what must know before
 * any strategy is loaded: `start` checks that RabbitMQ answers when ISSUE_STRATEGY is one of them.
 */
export const BROKER_STRATEGY_NAMES = ['incr-broker', 'incr-broker-confirm'] as const satisfies readonly StrategyName[];

export function usesBroker(name: string): boolean {
  return (BROKER_STRATEGY_NAMES as readonly string[]).includes(name);
}
