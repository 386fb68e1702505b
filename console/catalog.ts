import { reaches } from '../bench/faults/scenario.js';
import { SCENARIOS } from '../bench/faults/scenarios.js';
import { RACE_LIMITS } from '../bench/settings.js';
import type { Config } from '../src/core/config.js';
import { silentLog } from '../src/core/log.js';
import { createLab } from '../src/lab.js';
import { HTTP_STATUS } from '../src/server/errors.js';
import { STRATEGY_NAMES, type IssueStrategy } from '../src/strategies/index.js';
import type { Catalog, FaultEntry, StrategyEntry } from './contract.js';

/** What the page offers: the registry's strategies as the lab builds them, the faults, the limits. */
export async function readCatalog(config: Config, runsFolder: string): Promise<Catalog> {
  // The strategies say what they are only once made; nothing here sends them a request.
  const lab = createLab(config, { log: silentLog });
  try {
    const strategies = STRATEGY_NAMES.map((name) => lab.strategies[name]);
    const { instances, repeat, users, requestsPerUser, quantity, concurrency } = RACE_LIMITS;
    return {
      strategies: strategies.map(entry),
      faults: faults(strategies),
      limits: { users, requestsPerUser, quantity, concurrency, instances, repeat },
      defaults: { strategies: ['unsafe', 'record-lock', 'lua'], users: 400, requestsPerUser: 1, quantity: 50, concurrency: 100, instances: [1], repeat: 1 },
      unavailableCodes: Object.entries(HTTP_STATUS).flatMap(([code, status]) => (status === 503 ? [code] : [])),
      runsFolder,
    };
  } finally {
    await lab.close();
  }
}

function entry(strategy: IssueStrategy): StrategyEntry {
  const name = strategy.name as StrategyEntry['name']; // the registry checked it is the name it is listed under
  const { protection, asynchronous, uses, card } = strategy;
  return { name, protection, asynchronous, uses, card, source: `src/strategies/${name}.ts` };
}

/** Each fault once, its variants (redis-restart's three persistences) under it. */
function faults(strategies: readonly IssueStrategy[]): FaultEntry[] {
  const byFault = new Map<string, FaultEntry>();
  for (const scenario of SCENARIOS) {
    const known = byFault.get(scenario.fault);
    const variant = { ...(scenario.variant ? { variant: scenario.variant } : {}), what: scenario.what };
    if (known) known.variants.push(variant);
    else {
      const reached = strategies.filter((strategy) => reaches(scenario, strategy)).map((strategy) => strategy.name as StrategyEntry['name']);
      byFault.set(scenario.fault, { fault: scenario.fault, variants: [variant], reaches: reached });
    }
  }
  return [...byFault.values()];
}
