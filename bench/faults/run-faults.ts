import { performance } from 'node:perf_hooks';
import { loadConfig, type Config, type Env } from '../../src/core/config.js';
import { createCoupon } from '../../src/core/coupon-service.js';
import { prepareDatabase } from '../../src/core/db.js';
import { createLog } from '../../src/core/log.js';
import { createLab, type Lab } from '../../src/lab.js';
import type { IssueStrategy, StrategyName } from '../../src/strategies/index.js';
import { describeUndrained, streamBacklog, waitForDrain, type DrainOptions } from '../../lab-client/drain.js';
import { issuePath } from '../../lab-client/http.js';
import { describeHost, describeMachine } from '../machine.js';
import { soldOutWhileAvailable } from '../../lab-client/sold-out.js';
import { verifyCoupon } from '../../lab-client/verdict.js';
import { FaultCrowd } from './crowd.js';
import { Fleet } from './fleet.js';
import { startMariadb, startRedis, type PrivateMariadb, type PrivateRedis } from '../../harness/instances.js';
import type { Machine } from '../report.js';
import type { FaultReport, FaultRun } from './report.js';
import { reaches, type FaultEnvironment, type Scenario } from './scenario.js';

export interface FaultOptions {
  scenarios: readonly Scenario[];
  /** By default, every strategy that claims to hold across processes (protection lease or global). */
  strategies?: readonly StrategyName[];
  /** Told what is happening, a line at a time; the caller decides whether to print it. */
  onStep?: (line: string) => void;
}

/**
 * How long the consumer may take to write what was accepted once every fault has ended. A look
 * that fails counts as unknown: right after a restart the bench's own connection may still be
 * reconnecting.
 */
const DRAIN: DrainOptions = { timeoutMs: 30_000 };

/**
 * Runs each scenario: for every strategy it reaches (and each of the strategy's variants), a
 * paced crowd over two server processes while the fault is injected into private Redis and
 * MariaDB instances started here, then what MySQL holds. Prints nothing; stops every process
 * and instance it started, whatever happens.
 */
export async function runFaults(options: FaultOptions): Promise<FaultReport> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const databases = new Databases();
  const runs: FaultRun[] = [];
  let machine: Machine | undefined;
  const describe = async (lab: Lab) => {
    machine ??= await describeMachine(lab);
  };
  try {
    for (const scenario of options.scenarios) runs.push(...(await runScenario(scenario, options, databases, describe)));
    return {
      version: 1,
      startedAt,
      wallMs: performance.now() - started,
      machine: machine ?? describeHost(),
      runs,
      ok: runs.every((run) => run.ok),
    };
  } finally {
    await databases.stop();
  }
}

/** The private MariaDB instances, one per commit speed, started when first needed and kept for the whole run. */
class Databases {
  readonly #started = new Map<number | undefined, Promise<PrivateMariadb>>();

  get(slowCommitUsec: number | undefined): Promise<PrivateMariadb> {
    let database = this.#started.get(slowCommitUsec);
    if (!database) {
      database = prepared(startMariadb(slowCommitUsec === undefined ? {} : { slowCommitUsec }));
      this.#started.set(slowCommitUsec, database);
    }
    return database;
  }

  async stop(): Promise<void> {
    await Promise.allSettled([...this.#started.values()].map(async (database) => (await database).stop()));
  }
}

async function prepared(starting: Promise<PrivateMariadb>): Promise<PrivateMariadb> {
  const mysql = await starting;
  await prepareDatabase(mysql.url);
  return mysql;
}

async function runScenario(scenario: Scenario, options: FaultOptions, databases: Databases, describe: (lab: Lab) => Promise<void>): Promise<FaultRun[]> {
  const label = scenario.variant ? `${scenario.fault} (${scenario.variant})` : scenario.fault;
  const redisNodes = [startRedis({ persistence: scenario.redis }), ...Array.from({ length: scenario.lockNodes ?? 0 }, () => startRedis())];
  const started = await Promise.allSettled(redisNodes);
  const instances = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  try {
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    const [redis, ...lockNodes] = instances as [PrivateRedis, ...PrivateRedis[]];
    const env: FaultEnvironment = { mysql: await databases.get(scenario.slowCommitUsec), redis, lockNodes };
    // Its own connections to instances being killed would warn by the hundred: errors only.
    const lab = createLab(faultConfig({ ...env, lockNodes: [] }), { log: createLog('error') });
    try {
      await describe(lab);
      const runs: FaultRun[] = [];
      for (const [variant, strategies] of variantsReached(lab, scenario, options.strategies)) {
        const config = faultConfig(env, { ...scenario.settings, ...(variant ? strategies[0]!.variants![variant] : {}) });
        const fleet = await Fleet.start(config);
        try {
          for (const strategy of strategies) {
            options.onStep?.(`${label}: ${strategy.name}${variant ? ` (${variant})` : ''}`);
            runs.push(await runOne(scenario, strategy, variant, { env, fleet, lab }));
            await heal(env, fleet);
          }
        } finally {
          await fleet.stop();
        }
      }
      return runs;
    } finally {
      await lab.close();
    }
  } finally {
    await Promise.allSettled(instances.map((instance) => instance.stop()));
  }
}

/** The strategies the scenario reaches, grouped by the variant they run with ('' for none). */
function variantsReached(lab: Lab, scenario: Scenario, names: readonly StrategyName[] | undefined): Map<string, IssueStrategy[]> {
  const groups = new Map<string, IssueStrategy[]>();
  const add = (variant: string, strategy: IssueStrategy) => groups.set(variant, [...(groups.get(variant) ?? []), strategy]);
  const chosen = names
    ? names.map((name) => lab.strategies[name])
    : Object.values(lab.strategies).filter((strategy) => strategy.protection === 'lease' || strategy.protection === 'global');
  for (const strategy of chosen.filter((strategy) => reaches(scenario, strategy))) {
    add('', strategy);
    for (const variant of Object.keys(strategy.variants ?? {})) add(variant, strategy);
  }
  return groups;
}

/** The settings of every process of a fault run: the private instances, a quiet log, fast takeovers. */
function faultConfig(env: FaultEnvironment, settings: Env = {}): Config {
  return loadConfig(
    {},
    {
      MYSQL_URL: env.mysql.url,
      REDIS_URL: env.redis.url,
      LOCK_REDIS_URLS: env.lockNodes.length ? env.lockNodes.map((node) => node.url).join(',') : undefined,
      REDIS_KEY_PREFIX: 'coupon-lab:faults:',
      MIGRATE_ON_START: 'false',
      LOG_REQUESTS: 'none',
      CONSUMER_CLAIM_IDLE_MS: '1000',
      ...settings,
    },
  );
}

interface Parts {
  env: FaultEnvironment;
  fleet: Fleet;
  lab: Lab;
}

async function runOne(scenario: Scenario, strategy: IssueStrategy, variant: string, { env, fleet, lab }: Parts): Promise<FaultRun> {
  const { quantity, ...pace } = scenario.crowd;
  const coupon = await createCoupon(lab, {
    title: `faults ${scenario.fault} ${strategy.name}`,
    totalQuantity: quantity,
    discountAmount: 0,
    minAvailableAmount: 0,
    issueStartAt: null,
    issueEndAt: null,
  });
  const crowd = new FaultCrowd(fleet.urls(), issuePath(strategy.name, coupon.id), pace);
  const notes: string[] = [];
  const context = { crowd, env, fleet, lab, couponId: coupon.id, quantity, strategy, notes };
  const [injected] = await Promise.allSettled([scenario.inject(context), crowd.done]);
  await heal(env, fleet); // an injection that failed half-way may have left something down
  const drain = await waitForDrain(streamBacklog(lab, coupon.id), DRAIN);
  const found = await verifyCoupon(lab.db, coupon.id, quantity, crowd.tally.answers, crowd.tally.successfulUsers);
  const window = injected.status === 'fulfilled' ? injected.value : undefined;
  const firstSuccess = window && crowd.firstSuccessAfter(window.toMs);
  const allowed = ['EXACT' as const, ...scenario.allows(strategy)];
  const { errors } = crowd.tally.answers;
  const count = (...codes: string[]) => codes.reduce((sum, code) => sum + (errors[code] ?? 0), 0);
  const withStatus = (status: number) => crowd.answers.filter((answer) => answer.status === status).length;
  const internalErrors = withStatus(500);
  if (!drain.drained) notes.push(describeUndrained(drain, coupon.id));
  return {
    fault: scenario.fault,
    ...(scenario.variant ? { variant: scenario.variant } : {}),
    what: scenario.what,
    strategy: strategy.name as StrategyName, // the registry checked it is the name it is listed under
    ...(variant ? { setting: variant } : {}),
    protection: strategy.protection,
    quantity,
    sent: crowd.answers.length,
    answers: crowd.tally.answers,
    internalErrors,
    unavailable: withStatus(503),
    unanswered: count('CONNECTION_ERROR', 'TIMEOUT'),
    rows: found.rows,
    overIssued: found.overIssued,
    duplicated: found.duplicated,
    lost: found.lost,
    revoked: found.revoked,
    soldOutWhileAvailable: await soldOutWhileAvailable(lab.db, coupon.id, quantity, crowd.tally.soldOutAt),
    ...(window?.stranded ? { stranded: window.stranded } : {}),
    ...(window ? { faultMs: window, sentDuringFault: crowd.answers.filter((a) => a.startedMs >= window.fromMs && a.startedMs < window.toMs).length } : {}),
    ...(firstSuccess === undefined || !window ? {} : { recoverMs: firstSuccess - window.toMs }),
    ...(strategy.asynchronous ? { drainMs: drain.waitedMs } : {}),
    verdict: found.verdict,
    allowed,
    ok: allowed.includes(found.verdict) && internalErrors === 0 && injected.status === 'fulfilled',
    notes,
    ...(injected.status === 'rejected' ? { error: `the fault could not be injected: ${(injected.reason as Error).message}` } : {}),
  };
}

/** Starts again whatever a fault left down, so the drain and the next run meet a whole system. */
async function heal(env: FaultEnvironment, fleet: Fleet): Promise<void> {
  for (const instance of [env.mysql, env.redis, ...env.lockNodes]) if (instance.pid === undefined) await instance.start();
  for (const child of [...fleet.servers.map((server) => server.child), fleet.consumer]) child.kill('SIGCONT');
  await fleet.heal();
}
