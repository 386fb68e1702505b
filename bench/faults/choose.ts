import type { IssueStrategy, Protection, StrategyChoice } from '../../src/strategies/index.js';
import { reaches, type Scenario } from './scenario.js';

/** The protections that claim to hold across processes, always or while something holds. */
const CLAIMS_ACROSS_PROCESSES: readonly Protection[] = ['lease', 'fault-free', 'global'];

/**
 * The strategies a scenario runs, grouped by the variant they run with ('' for none): those asked
 * for, each variant only when named (`redis-lock:watchdog`), so that a list runs what it lists;
 * with none asked for, every strategy that claims to hold across processes (protection lease,
 * fault-free or global), each with its variants too.
 */
export function strategiesToRun(
  strategies: Readonly<Record<string, IssueStrategy>>,
  scenario: Scenario,
  asked: readonly StrategyChoice[] | undefined,
): Map<string, IssueStrategy[]> {
  const choices: [IssueStrategy, string][] = asked
    ? asked.map((choice) => {
        const [name, variant = ''] = choice.split(':') as [string, string?];
        return [strategies[name]!, variant];
      })
    : Object.values(strategies)
        .filter((strategy) => CLAIMS_ACROSS_PROCESSES.includes(strategy.protection))
        .flatMap((strategy) => [
          [strategy, ''] as [IssueStrategy, string],
          ...Object.keys(strategy.variants ?? {}).map((v) => [strategy, v] as [IssueStrategy, string]),
        ]);
  // Without a variant first: those runs share one fleet of servers, each variant a fleet of its own.
  const groups = new Map<string, IssueStrategy[]>([['', []]]);
  for (const [strategy, variant] of choices.filter(([strategy]) => reaches(scenario, strategy))) {
    groups.set(variant, [...(groups.get(variant) ?? []), strategy]);
  }
  if (groups.get('')!.length === 0) groups.delete('');
  return groups;
}
