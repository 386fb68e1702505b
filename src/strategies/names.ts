/** The strategies the lab ships; `./index.ts` maps each name to its factory. */
export const STRATEGY_NAMES = ['unsafe', 'mutex-in-tx', 'mutex', 'redis-lock', 'fenced-lock', 'record-lock', 'lua'] as const;

export type StrategyName = (typeof STRATEGY_NAMES)[number];

export function isStrategyName(name: string): name is StrategyName {
  return (STRATEGY_NAMES as readonly string[]).includes(name);
}
