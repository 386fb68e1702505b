import { setTimeout as sleep } from 'node:timers/promises';
import type { Env } from '../../src/core/config.js';
import type { FaultWindow, RunContext } from './scenario.js';
import type { Lab } from '../../src/lab.js';
import { streamBacklog, waitForDrain } from '../../lab-client/drain.js';
import { always, handOffGap, leaseOutrun, redisLoss, type Scenario } from './scenario.js';

/** Paced, so that a fault lands while places are still being handed out and the crowd goes on past it. */
const CROWD = { users: 1_200, quantity: 300, rate: 400, concurrency: 64 };
/** Commits slower than the lease (MariaDB's group commit wait), with work inside the lock. */
const SLOW_COMMIT_USEC = 400_000;
const SLOW_SETTINGS: Env = { LOCK_LEASE_MS: '320', THINK_MS: '100' };
const REDIS_DOWN_MS = 500;
/** How long each message of a broker strategy waits between its count and its publish (BROKER_PUBLISH_DELAY_MS) under kill-between-writes. */
const PUBLISH_DELAY_MS = 300;
/** Longer than incr-broker-confirm waits for a confirm, shorter than two missed heartbeats (which would close the connection). */
const BROKER_PAUSE_MS = 6_000;
const MYSQL_DOWN_MS = 2_000;
const PAUSE_MS = 1_000;

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
  what: `as slow-commit, and the server holding the lock is stopped (SIGSTOP) while it commits the last place, for ${PAUSE_MS / 1000} s, then continued: a GC pause or a frozen VM at the worst moment`,
  reaches: 'every',
  redis: 'none',
  slowCommitUsec: SLOW_COMMIT_USEC,
  settings: SLOW_SETTINGS,
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

/** One of the two servers killed after a third of the places; the crowd goes on with the other. */
async function killAServer({ crowd, fleet, quantity }: RunContext): Promise<FaultWindow> {
  await crowd.whenSuccesses(quantity / 3);
  const [killed, other] = fleet.servers;
  crowd.sendTo([other!.url]);
  const fromMs = crowd.now();
  killed!.child.kill('SIGKILL');
  return { fromMs, toMs: crowd.now() };
}

const serverKill: Scenario = {
  fault: 'server-kill',
  what: 'one of the two servers killed with SIGKILL after a third of the places; requests go to the other from then on',
  reaches: 'every',
  redis: 'none',
  crowd: CROWD,
  inject: killAServer,
  allows: handOffGap,
};

const killBetweenWrites: Scenario = {
  fault: 'kill-between-writes',
  what: `as server-kill, with every message of a broker strategy held ${PUBLISH_DELAY_MS} ms between its count and its publish (BROKER_PUBLISH_DELAY_MS), so that the kill lands between the two writes of the requests in flight; the other strategies have no such gap to hold open`,
  reaches: 'every',
  redis: 'none',
  settings: { BROKER_PUBLISH_DELAY_MS: String(PUBLISH_DELAY_MS) },
  crowd: CROWD,
  inject: killAServer,
  allows: handOffGap,
};

const brokerRestart: Scenario = {
  fault: 'broker-restart',
  what: 'RabbitMQ killed with SIGKILL after a third of the places and started again at once: publishes fail until it has booted, and the consumer reconnects',
  reaches: ['broker'],
  redis: 'none',
  crowd: { ...CROWD, users: 2_400 },
  async inject({ crowd, env, quantity }) {
    await crowd.whenSuccesses(quantity / 3);
    const fromMs = crowd.now();
    await env.broker!.kill('SIGKILL');
    await env.broker!.start();
    return { fromMs, toMs: crowd.now() };
  },
  allows: handOffGap,
};

const brokerPause: Scenario = {
  fault: 'broker-pause',
  what: `RabbitMQ stopped (SIGSTOP) for ${BROKER_PAUSE_MS / 1000} s after a third of the places, then continued: unreachable without a connection lost, publishes neither confirmed nor refused meanwhile`,
  reaches: ['broker'],
  redis: 'none',
  crowd: { ...CROWD, users: 2_400 },
  async inject({ crowd, env, quantity }) {
    await crowd.whenSuccesses(quantity / 3);
    const fromMs = crowd.now();
    env.broker!.pause();
    await sleep(BROKER_PAUSE_MS);
    env.broker!.resume();
    return { fromMs, toMs: crowd.now() };
  },
  allows: handOffGap,
};

const consumerKill: Scenario = {
  fault: 'consumer-kill',
  what: 'the consumer killed with SIGKILL three times while it writes a backlog, started again each time',
  reaches: 'asynchronous',
  redis: 'none',
  settings: { CONSUMER_CLAIM_IDLE_MS: '500', CONSUMER_BATCH_SIZE: '25' },
  crowd: CROWD,
  async inject({ crowd, fleet, lab, couponId, quantity, strategy, notes }) {
    // The broker strategies' consumer is a process of its own: the one that writes this strategy's rows.
    const which = strategy.uses.includes('broker') ? 'broker' : 'stream';
    let fromMs: number | undefined;
    for (const share of [0.25, 0.5, 0.75]) {
      await crowd.whenSuccesses(quantity * share);
      fromMs ??= crowd.now();
      fleet.consumerOf(which).kill('SIGKILL'); // a backlog builds while it is down
      await crowd.whenSuccesses(quantity * (share + 0.2));
      await fleet.restartConsumer(which);
      await sleep(20); // mid-drain: it has taken what its predecessor left and is writing
      notes.push(
        which === 'stream'
          ? `${await streamPending(lab, couponId)} entries pending at a kill`
          : `places unwritten at a kill: ${await lab.couponHooks.pending(couponId)}`,
      );
      fleet.consumerOf(which).kill('SIGKILL');
    }
    await fleet.restartConsumer(which);
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

/** Every fault, in the order the bench runs them and its report shows them. */
export const SCENARIOS: readonly Scenario[] = [
  redisRestart('none'),
  redisRestart('everysec'),
  redisRestart('always'),
  redisStale,
  mysqlRestart,
  slowCommit,
  processPause,
  serverKill,
  killBetweenWrites,
  consumerKill,
  brokerRestart,
  brokerPause,
  lockNodeDown(1),
  lockNodeDown(2),
];

export const FAULT_NAMES = [...new Set(SCENARIOS.map((scenario) => scenario.fault))];

/** Entries of the coupon's stream delivered to a consumer and not acknowledged. */
async function streamPending({ redis, keys }: Lab, couponId: number): Promise<number> {
  const [pending] = (await redis.xpending(keys.couponStream(couponId), 'coupon-writers')) as [number];
  return pending;
}

/** True as soon as MySQL is running a COMMIT, false if it has not within a second. */
async function commitInFlight({ db }: Lab): Promise<boolean> {
  const deadline = Date.now() + 1_000;
  while (Date.now() < deadline) {
    const [[{ n }]] = (await db.raw("SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE 'COMMIT%'")) as [[{ n: number }]];
    if (Number(n) > 0) return true;
  }
  return false;
}
