import { performance } from 'node:perf_hooks';
import { loadConfig, type Config, type Env } from '../../src/core/config.js';
import { createCoupon } from '../../src/core/coupon-service.js';
import { prepareDatabase } from '../../src/core/db.js';
import { createLog } from '../../src/core/log.js';
import { createLab, type Lab } from '../../src/lab.js';
import type { IssueStrategy, StrategyChoice, StrategyName } from '../../src/strategies/index.js';
import { strategiesToRun } from './choose.js';
import { rowsBeyondYes } from './notes.js';
import { usesBroker } from '../../src/strategies/names.js';
import { describeUndrained, streamBacklog, waitForDrain, type DrainOptions } from '../../lab-client/drain.js';
import { issuePath } from '../../lab-client/http.js';
import { describeCommit, describeHost, describeMachine, withCommit } from '../machine.js';
import { soldOutWhileAvailable } from '../../lab-client/sold-out.js';
import { verifyCoupon } from '../../lab-client/verdict.js';
import type { Answers } from '../../lab-client/tally.js';
import { reportingAnswers } from '../events.js';
import { FaultCrowd } from './crowd.js';
import type { FaultRunKey, OnFaultEvent } from './events.js';
import { Fleet } from './fleet.js';
import {
  startMariadb,
  startRabbitmq,
  startRedis,
  startRedisCluster,
  type PrivateMariadb,
  type PrivateRabbitmq,
  type PrivateRedis,
  type PrivateRedisCluster,
} from '../../harness/instances.js';
import { crowdUserIds } from '../crowd-users.js';
import type { Machine } from '../report.js';
import type { FaultReport, FaultRun } from './report.js';
import type { FaultEnvironment, Scenario } from './scenario.js';

export interface FaultOptions {
  scenarios: readonly Scenario[];
  /** Strategies, and strategies under a variant (`redis-lock:watchdog`); by default, see strategiesToRun. */
  strategies?: readonly StrategyChoice[];
  /** Told what is happening, a line at a time; the caller decides whether to print it. */
  onStep?: (line: string) => void;
  /** Told what happens as it happens (events.ts): the console's timeline. */
  onEvent?: OnFaultEvent;
  /** Stops the bench before its next run; runFaults then rejects with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * How long the consumer may take to write what was accepted once every fault has ended. A look
 * that fails counts as unknown: right after a restart the bench's own connection may still be
 * reconnecting. Nothing written for a while ends the wait sooner: a place a broker strategy counted
 * and never published stays unwritten however long one waits.
 */
const DRAIN: DrainOptions = { timeoutMs: 30_000, stallMs: 10_000 };

/**
 * Runs each scenario: for every strategy it reaches (and each of the strategy's variants), a
 * paced crowd over two server processes while the fault is injected into private Redis and
 * MariaDB instances started here, then what MySQL holds. Prints nothing; stops every process
 * and instance it started, whatever happens.
 */
export async function runFaults(options: FaultOptions): Promise<FaultReport> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const commit = describeCommit();
  const shared = { databases: new Databases(), broker: new Broker() };
  const runs: FaultRun[] = [];
  let machine: Machine | undefined;
  const describe = async (lab: Lab) => {
    machine ??= await describeMachine(lab);
  };
  try {
    for (const scenario of options.scenarios) runs.push(...(await runScenario(scenario, options, shared, describe)));
    return {
      version: 1,
      startedAt,
      wallMs: performance.now() - started,
      machine: machine ?? describeHost(),
      ...withCommit(await commit),
      runs,
      ok: runs.every((run) => run.ok),
    };
  } finally {
    await Promise.allSettled([shared.databases.stop(), shared.broker.stop()]);
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

/**
 * The private RabbitMQ of the broker strategies, started when a scenario first runs one and kept
 * for the whole run: it takes seconds to boot, and its queues are declared once, long before a fault
 * kills it (a quorum queue declared a moment before a SIGKILL may not be recovered).
 */
class Broker {
  #started: Promise<PrivateRabbitmq> | undefined;

  get(): Promise<PrivateRabbitmq> {
    this.#started ??= startRabbitmq();
    return this.#started;
  }

  async stop(): Promise<void> {
    await (await this.#started?.catch(() => undefined))?.stop();
  }
}

/** What every scenario of a run shares. */
interface Shared {
  databases: Databases;
  broker: Broker;
}

/**
 * The instance started and its database migrated. One that fails to migrate is stopped here: what
 * Databases keeps is then a rejected promise, which its stop() cannot reach the instance through.
 */
async function prepared(starting: Promise<PrivateMariadb>): Promise<PrivateMariadb> {
  const mysql = await starting;
  try {
    await prepareDatabase(mysql.url);
  } catch (error) {
    // The migration's failure is the news, not a failure to stop.
    await mysql.stop().catch(() => undefined);
    throw error;
  }
  return mysql;
}

async function runScenario(scenario: Scenario, options: FaultOptions, shared: Shared, describe: (lab: Lab) => Promise<void>): Promise<FaultRun[]> {
  const label = scenario.variant ? `${scenario.fault} (${scenario.variant})` : scenario.fault;
  const { fault, variant: faultVariant } = scenario;
  options.signal?.throwIfAborted();
  options.onEvent?.({ type: 'stage', fault, ...(faultVariant ? { variant: faultVariant } : {}), stage: 'starting instances' });
  const shape = scenario.cluster;
  const redisNodes = [
    shape ? startRedisCluster(shape.masters, { replicas: shape.replicas }) : startRedis({ persistence: scenario.redis }),
    ...Array.from({ length: scenario.lockNodes ?? 0 }, () => startRedis()),
  ];
  const started = await Promise.allSettled(redisNodes);
  const instances = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  try {
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    const [first, ...lockNodes] = instances as [PrivateRedis | PrivateRedisCluster, ...PrivateRedis[]];
    const cluster = 'nodes' in first ? first : undefined;
    const redis = cluster ? cluster.nodes[0]! : (first as PrivateRedis);
    const broker = brokerStrategiesAmong(options.strategies) ? await shared.broker.get() : undefined;
    const env: FaultEnvironment = {
      mysql: await shared.databases.get(scenario.slowCommitUsec),
      redis,
      lockNodes,
      ...(cluster ? { cluster } : {}),
      ...(broker ? { broker } : {}),
    };
    // Its own connections to instances being killed would warn by the hundred: errors only.
    const lab = createLab(faultConfig({ ...env, lockNodes: [] }), { log: createLog('error') });
    try {
      await describe(lab);
      const runs: FaultRun[] = [];
      for (const [variant, strategies] of strategiesToRun(lab.strategies, scenario, options.strategies)) {
        const config = faultConfig(env, { ...scenario.settings, ...(variant ? strategies[0]!.variants![variant] : {}) });
        options.onEvent?.({ type: 'stage', fault, ...(faultVariant ? { variant: faultVariant } : {}), stage: 'starting servers' });
        const fleet = await Fleet.start(config, { broker: strategies.some((strategy) => strategy.uses.includes('broker')) });
        try {
          for (const strategy of strategies) {
            options.signal?.throwIfAborted();
            options.onStep?.(`${label}: ${strategy.name}${variant ? ` (${variant})` : ''}`);
            runs.push(await runOne(scenario, strategy, variant, { env, fleet, lab, onEvent: options.onEvent ?? (() => {}) }));
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

/** Whether a broker strategy is among those chosen (by default: every strategy that claims to hold across processes). */
function brokerStrategiesAmong(choices: readonly StrategyChoice[] | undefined): boolean {
  return choices === undefined || choices.some((choice) => usesBroker(choice.split(':')[0]!));
}

/** The settings of every process of a fault run: the private instances, a quiet log, fast takeovers. */
function faultConfig(env: FaultEnvironment, settings: Env = {}): Config {
  return loadConfig(
    {},
    {
      MYSQL_URL: env.mysql.url,
      REDIS_URL: env.cluster?.url ?? env.redis.url,
      REDIS_CLUSTER: env.cluster ? 'true' : undefined,
      LOCK_REDIS_URLS: env.lockNodes.length ? env.lockNodes.map((node) => node.url).join(',') : undefined,
      AMQP_URL: env.broker?.url,
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
  onEvent: OnFaultEvent;
}

async function runOne(scenario: Scenario, strategy: IssueStrategy, variant: string, { env, fleet, lab, onEvent }: Parts): Promise<FaultRun> {
  const { quantity, ...pace } = scenario.crowd;
  const coupon = await createCoupon(lab, {
    title: `faults ${scenario.fault} ${strategy.name}`,
    totalQuantity: quantity,
    discountAmount: 0,
    minAvailableAmount: 0,
    issueStartAt: null,
    issueEndAt: null,
  });
  const key: FaultRunKey = {
    fault: scenario.fault,
    ...(scenario.variant ? { variant: scenario.variant } : {}),
    strategy: strategy.name as StrategyName, // the registry checked it is the name it is listed under
    ...(variant ? { setting: variant } : {}),
  };
  onEvent({ type: 'run-started', ...key, quantity, what: scenario.what });
  const { skewed, ...paced } = pace;
  const userId = crowdUserIds(skewed ? 'skewed' : 'uniform', lab.config.LUA_BUCKETS);
  const crowd = new FaultCrowd(fleet.urls(), issuePath(strategy.name, coupon.id), userId ? { ...paced, userId } : paced);
  const notes: string[] = [];
  const context = { crowd, env, fleet, lab, couponId: coupon.id, quantity, strategy, notes };
  const injecting = scenario.inject(context).then((window) => {
    if (window) onEvent({ type: 'fault', ...key, ...window });
    return window;
  });
  const report = (answers: Answers, elapsedMs: number) => onEvent({ type: 'answers', ...key, elapsedMs, answers });
  const [injected] = await reportingAnswers(crowd.tally, report, () => Promise.allSettled([injecting, crowd.done]));
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
  const unanswered = count('CONNECTION_ERROR', 'TIMEOUT');
  if (!drain.drained) notes.push(describeUndrained(drain, coupon.id));
  const beyond = rowsBeyondYes(found.rows, crowd.tally.answers.success, unanswered);
  if (beyond) notes.push(beyond);
  const run: FaultRun = {
    ...key,
    what: scenario.what,
    protection: strategy.protection,
    quantity,
    sent: crowd.answers.length,
    answers: crowd.tally.answers,
    internalErrors,
    unavailable: withStatus(503),
    unanswered,
    rows: found.rows,
    overIssued: found.overIssued,
    duplicated: found.duplicated,
    lost: found.lost,
    lostRate: crowd.tally.answers.success ? found.lost / crowd.tally.answers.success : 0,
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
  onEvent({ type: 'run-ended', run });
  return run;
}

/** Starts again whatever a fault left down (or continues what it left paused), so the drain and the next run meet a whole system. */
async function heal(env: FaultEnvironment, fleet: Fleet): Promise<void> {
  const instances = [env.mysql, env.redis, ...env.lockNodes, ...(env.cluster?.nodes ?? []), ...(env.broker ? [env.broker] : [])];
  for (const instance of instances) {
    if (instance.pid === undefined) await instance.start();
    else instance.resume();
  }
  for (const child of fleet.children()) child.kill('SIGCONT');
  await fleet.heal();
}
