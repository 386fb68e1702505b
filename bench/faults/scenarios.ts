import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Env } from '../../src/core/config.js';
import { openBlocksOf } from '../../src/core/stock-leases.js';
import type { Lab } from '../../src/lab.js';
import { streamBacklog, waitForDrain } from '../../lab-client/drain.js';
import { always, leaseOutrun, redisLoss, type Scenario, type Stranded } from './scenario.js';

/** Paced, so that a fault lands while places are still being handed out and the crowd goes on past it. */
const CROWD = { users: 1_200, quantity: 300, rate: 400, concurrency: 64 };
/** Commits slower than the lease (MariaDB's group commit wait), with work inside the lock. */
const SLOW_COMMIT_USEC = 400_000;
const SLOW_SETTINGS: Env = { LOCK_LEASE_MS: '320', THINK_MS: '100' };
const REDIS_DOWN_MS = 500;
const MYSQL_DOWN_MS = 2_000;
const PAUSE_MS = 1_000;
/** leased-stock's blocks leased for less than the pause, and more than a commit takes, so that the pause outlasts them. */
const PAUSE_SETTINGS: Env = { ...SLOW_SETTINGS, LEASE_TTL_MS: '800' };

function redisRestart(persistence: 'none' | 'everysec' | 'always'): Scenario {
  return {
    fault: 'redis-restart',
    variant: persistence === 'none' ? 'no persistence' : `appendfsync ${persistence}`,
    what: `Redis (${persistence === 'none' ? 'no persistence' : `appendonly, appendfsync ${persistence}`}) killed with SIGKILL after a third of the places, restarted ${REDIS_DOWN_MS} ms later`,
    reaches: ['redis', 'lock-redis'],
    redis: persistence,
    crowd: CROWD,
    async inject({ crowd, env, quantity }) {
      await crowd.whenSuccesses(quantity / 3);
      const fromMs = crowd.now();
      await env.redis.kill('SIGKILL');
      await sleep(REDIS_DOWN_MS);
      await env.redis.start();
      return { fromMs, toMs: crowd.now() };
    },
    allows: persistence === 'always' ? always : redisLoss,
  };
}

const redisStale: Scenario = {
  fault: 'redis-stale',
  what: 'snapshot (BGSAVE) after a quarter of the places; at 80% Redis killed with SIGKILL and restarted from that snapshot: a failover to a lagging replica',
  reaches: ['redis', 'lock-redis'],
  redis: 'rdb',
  crowd: CROWD,
  async inject({ crowd, env, lab, couponId, quantity }) {
    await crowd.whenSuccesses(quantity / 4);
    const snapshot = await env.redis.snapshot();
    await crowd.whenSuccesses(quantity * 0.8);
    // Let the consumer write what was accepted, so that MySQL is well ahead of the snapshot.
    await waitForDrain(streamBacklog(lab, couponId), { timeoutMs: 2_000, pollMs: 5 });
    const fromMs = crowd.now();
    await env.redis.kill('SIGKILL');
    await env.redis.restore(snapshot);
    await env.redis.start();
    return { fromMs, toMs: crowd.now() };
  },
  allows: redisLoss,
};

const mysqlRestart: Scenario = {
  fault: 'mysql-restart',
  what: `MariaDB killed with SIGKILL after a third of the places, restarted ${MYSQL_DOWN_MS / 1000} s later (crash recovery)`,
  reaches: ['mysql'],
  redis: 'none',
  // Longer: the crowd goes on well past the restart and its crash recovery, to the last place.
  crowd: { ...CROWD, users: 2_400 },
  async inject({ crowd, env, quantity }) {
    await crowd.whenSuccesses(quantity / 3);
    const fromMs = crowd.now();
    await env.mysql.kill('SIGKILL');
    await sleep(MYSQL_DOWN_MS);
    await env.mysql.start();
    return { fromMs, toMs: crowd.now() };
  },
  allows: always,
};

const slowCommit: Scenario = {
  fault: 'slow-commit',
  what: `every commit takes ~${SLOW_COMMIT_USEC / 1000} ms (MariaDB's binlog group commit wait), longer than what is left of a ${SLOW_SETTINGS.LOCK_LEASE_MS} ms lease after ${SLOW_SETTINGS.THINK_MS} ms of work; 40 users at once for 5`,
  reaches: ['mysql'],
  redis: 'none',
  slowCommitUsec: SLOW_COMMIT_USEC,
  settings: SLOW_SETTINGS,
  crowd: { users: 40, quantity: 5, rate: Infinity, concurrency: 40 },
  inject: async () => undefined,
  allows: leaseOutrun,
};

const processPause: Scenario = {
  fault: 'process-pause',
  what: `as slow-commit, and the server holding the lock (or leased-stock's block) is stopped (SIGSTOP) while it commits the last place, for ${PAUSE_MS / 1000} s, past a ${PAUSE_SETTINGS.LEASE_TTL_MS} ms lease of leased-stock's blocks, then continued: a GC pause or a frozen VM at the worst moment`,
  reaches: 'every',
  redis: 'none',
  slowCommitUsec: SLOW_COMMIT_USEC,
  settings: PAUSE_SETTINGS,
  // Paced slowly enough to last past the pause, and never short of connections: requests keep
  // reaching the other server while the paused one holds those sent to it.
  crowd: { users: 50, quantity: 5, rate: 10, concurrency: 50 },
  async inject({ crowd, fleet, lab, couponId, quantity, strategy, notes }) {
    // Only the first server gets requests until it is paused, so the lock, when held, is its.
    const [paused, other] = fleet.servers as [(typeof fleet.servers)[0], (typeof fleet.servers)[0]];
    crowd.sendTo([paused.url]);
    // Two holders overlapping can over-issue only at the last place: the pause comes as it is
    // committed. One before the commit would be caught by redis-lock's check of the lease; one
    // while a slow commit is in flight is what no check, and no watchdog, can cover.
    await crowd.whenSuccesses(quantity - 1);
    if (!(await commitInFlight(lab))) notes.push('no commit was in flight when the server was paused');
    const fromMs = crowd.now();
    paused.child.kill('SIGSTOP');
    // A synchronous strategy that uses Redis does so for its lock.
    if (!strategy.asynchronous && strategy.uses.some((store) => store !== 'mysql')) {
      const held = (await lab.redis.keys(lab.keys.couponLockPattern(couponId))).length > 0;
      notes.push(held ? 'the paused server held the lock' : 'the lock was free when the server was paused');
    }
    crowd.sendTo([paused.url, other.url]);
    await sleep(PAUSE_MS);
    paused.child.kill('SIGCONT');
    return { fromMs, toMs: crowd.now() };
  },
  allows: leaseOutrun,
};

const serverKill: Scenario = {
  fault: 'server-kill',
  what: "one of the two servers killed with SIGKILL after a third of the places; requests go to the other from then on (for leased-stock: the places left in the killed server's blocks, and how long until they were back on sale)",
  reaches: 'every',
  redis: 'none',
  crowd: CROWD,
  async inject({ crowd, fleet, lab, couponId, quantity }) {
    await crowd.whenSuccesses(quantity / 3);
    const [killed, other] = fleet.servers;
    crowd.sendTo([other!.url]);
    const fromMs = crowd.now();
    killed!.child.kill('SIGKILL');
    const toMs = crowd.now();
    const stranded = await strandedBy(lab, couponId, killed!.child.pid!);
    return { fromMs, toMs, ...(stranded ? { stranded } : {}) };
  },
  allows: always,
};

/** How long a fault bench waits for a killed process's blocks to be given back before it says it did not see it. */
const STRANDED_WAIT_MS = 15_000;

/**
 * The places a killed process held unsold in its blocks of the coupon (leased-stock), and how
 * long, from now, until every one of those blocks was given back to the coupon's count: by a
 * process that found the count empty, or by a reclaimer once its lease ran out. Undefined if it
 * held none.
 */
async function strandedBy({ db }: Lab, couponId: number, pid: number): Promise<Stranded | undefined> {
  const killedAt = performance.now();
  const held = await openBlocksOf(db, couponId, pid);
  if (held.ids.length === 0) return undefined;
  while (performance.now() - killedAt < STRANDED_WAIT_MS) {
    if ((await openBlocksOf(db, couponId, pid)).ids.length === 0) return { places: held.unsold, forMs: performance.now() - killedAt };
    await sleep(10);
  }
  return { places: held.unsold };
}

const consumerKill: Scenario = {
  fault: 'consumer-kill',
  what: 'the consumer killed with SIGKILL three times while it writes a backlog, started again each time',
  reaches: 'asynchronous',
  redis: 'none',
  settings: { CONSUMER_CLAIM_IDLE_MS: '500', CONSUMER_BATCH_SIZE: '25' },
  crowd: CROWD,
  async inject({ crowd, fleet, lab, couponId, quantity, notes }) {
    let fromMs: number | undefined;
    for (const share of [0.25, 0.5, 0.75]) {
      await crowd.whenSuccesses(quantity * share);
      fromMs ??= crowd.now();
      fleet.consumer.kill('SIGKILL'); // a backlog builds while it is down
      await crowd.whenSuccesses(quantity * (share + 0.2));
      await fleet.restartConsumer();
      await sleep(20); // mid-drain: it has claimed what its predecessor left and is writing
      const [pending] = (await lab.redis.xpending(lab.keys.couponStream(couponId), 'coupon-writers')) as [number];
      notes.push(`${pending} entries pending at a kill`);
      fleet.consumer.kill('SIGKILL');
    }
    await fleet.restartConsumer();
    return { fromMs: fromMs!, toMs: crowd.now() };
  },
  allows: always,
};

function lockNodeDown(down: 1 | 2): Scenario {
  return {
    fault: 'lock-node-down',
    variant: `${down} of 3`,
    what: `the lock over three Redis nodes (LOCK_REDIS_URLS, Redlock); ${down} of them killed with SIGKILL after a third of the places, not restarted`,
    reaches: ['lock-redis'],
    redis: 'none',
    lockNodes: 3,
    crowd: CROWD,
    async inject({ crowd, env, quantity }) {
      await crowd.whenSuccesses(quantity / 3);
      const fromMs = crowd.now();
      await Promise.all(env.lockNodes.slice(0, down).map((node) => node.kill('SIGKILL')));
      return { fromMs, toMs: crowd.now() };
    },
    allows: always,
  };
}

/** Every fault, in the order the bench runs them and the README's matrix shows them. */
export const SCENARIOS: readonly Scenario[] = [
  redisRestart('none'),
  redisRestart('everysec'),
  redisRestart('always'),
  redisStale,
  mysqlRestart,
  slowCommit,
  processPause,
  serverKill,
  consumerKill,
  lockNodeDown(1),
  lockNodeDown(2),
];

export const FAULT_NAMES = [...new Set(SCENARIOS.map((scenario) => scenario.fault))];

/** True as soon as MySQL is running a COMMIT, false if it has not within a second. */
async function commitInFlight({ db }: Lab): Promise<boolean> {
  const deadline = Date.now() + 1_000;
  while (Date.now() < deadline) {
    const [[{ n }]] = (await db.raw("SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE 'COMMIT%'")) as [[{ n: number }]];
    if (Number(n) > 0) return true;
  }
  return false;
}
