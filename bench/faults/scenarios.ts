import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Env } from '../../src/core/config.js';
import type { FaultEnvironment, FaultWindow, RunContext } from './scenario.js';
import { openBlocksOf } from '../../src/core/stock-leases.js';
import { CONSUMER_GROUP } from '../../src/core/issue-stream/registry.js';
import type { Lab } from '../../src/lab.js';
import { streamBacklog, waitForDrain } from '../../lab-client/drain.js';
import { always, handOffGap, leaseOutrun, redisLoss, type Scenario, type Stranded } from './scenario.js';
import { hostname } from 'node:os';
import type { ServerProcess } from '../../harness/server-process.js';
import type { FaultCrowd } from './crowd.js';

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
    inject: afterAThird(async (env) => {
      await env.redis.kill('SIGKILL');
      await sleep(REDIS_DOWN_MS);
      await env.redis.start();
    }),
    allows: persistence === 'always' ? always : redisLoss,
  };
}

/** The common injection: once a third of the places are taken, `fault` runs; its start to its end is the fault window. */
function afterAThird(fault: (env: FaultEnvironment) => Promise<void>): Scenario['inject'] {
  return async ({ crowd, env, quantity }) => {
    await crowd.whenSuccesses(quantity / 3);
    const fromMs = crowd.now();
    await fault(env);
    return { fromMs, toMs: crowd.now() };
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
  inject: afterAThird(async (env) => {
    await env.mysql.kill('SIGKILL');
    await sleep(MYSQL_DOWN_MS);
    await env.mysql.start();
  }),
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

/** One of the two servers killed after a third of the places; the crowd goes on with the other. */
async function killAServer({ crowd, fleet, lab, couponId, quantity }: RunContext): Promise<FaultWindow> {
  await crowd.whenSuccesses(quantity / 3);
  const [killed, other] = fleet.servers;
  crowd.sendTo([other!.url]);
  const fromMs = crowd.now();
  killed!.child.kill('SIGKILL');
  const toMs = crowd.now();
  const stranded = await strandedBy(lab, couponId, killed!.child.pid!);
  return { fromMs, toMs, ...(stranded ? { stranded } : {}) };
}

const serverKill: Scenario = {
  fault: 'server-kill',
  what: "one of the two servers killed with SIGKILL after a third of the places; requests go to the other from then on (for leased-stock: the places left in the killed server's blocks, and how long until they were back on sale)",
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
  inject: afterAThird(async (env) => {
    await env.broker!.kill('SIGKILL');
    await env.broker!.start();
  }),
  allows: handOffGap,
};

const brokerPause: Scenario = {
  fault: 'broker-pause',
  what: `RabbitMQ stopped (SIGSTOP) for ${BROKER_PAUSE_MS / 1000} s after a third of the places, then continued: unreachable without a connection lost, publishes neither confirmed nor refused meanwhile`,
  reaches: ['broker'],
  redis: 'none',
  crowd: { ...CROWD, users: 2_400 },
  inject: afterAThird(async (env) => {
    env.broker!.pause();
    await sleep(BROKER_PAUSE_MS);
    env.broker!.resume();
  }),
  allows: handOffGap,
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
          ? `${await pendingEntries(lab, couponId)} entries pending at a kill`
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
    inject: afterAThird(async (env) => {
      await Promise.all(env.lockNodes.slice(0, down).map((node) => node.kill('SIGKILL')));
    }),
    allows: always,
  };
}

/**
 * The master serving one of the coupon's streams is killed, and its replica takes over, as a
 * cluster's failover does: what the master acknowledged and had not yet copied to the replica is
 * gone, and the replica is another server (another run id), which the lua path must rebuild
 * before trusting. The killed node comes back as a replica.
 */
const clusterFailover: Scenario = {
  fault: 'cluster-failover',
  what: "a Redis Cluster of three masters, each with a replica: the master holding the coupon's (first bucket's) stream killed with SIGKILL after a third of the places; its replica takes over, and the old master comes back as a replica",
  reaches: (strategy) => strategy.asynchronous && strategy.uses.includes('redis'),
  redis: 'none',
  cluster: { masters: 3, replicas: 1 },
  crowd: CROWD,
  async inject({ crowd, env, lab, couponId, quantity, notes }) {
    // Imported here: `coupon-lab --help` reads this module for the faults' names, and must load no driver.
    const { clusterReady } = await import('../../harness/instances.js');
    // A replica still copying its master (the one an earlier run brought back) cannot take over.
    await Promise.all(env.cluster!.nodes.map((node) => clusterReady(node.port)));
    await crowd.whenSuccesses(quantity / 3);
    const [stream] = await couponStreams(lab, couponId);
    const port = await masterOf(lab, stream!);
    const victim = env.cluster!.nodes.find((node) => node.port === port)!;
    const fromMs = crowd.now();
    await victim.kill('SIGKILL');
    await waitUntil(async () => (await masterOf(lab, stream!).catch(() => port)) !== port);
    const toMs = crowd.now();
    notes.push(`master 127.0.0.1:${port} killed; its replica served its slots ${Math.round(toMs - fromMs)} ms later`);
    await victim.start();
    await clusterReady(victim.port);
    return { fromMs, toMs };
  },
  allows: redisLoss,
};

/**
 * lua-buckets' fallback cut short by a process dying: with every user homed in one bucket, each
 * request after that bucket's share moves places from another (take, then credit), so a server
 * killed then leaves transfers half done. The places they carry are completed by later requests;
 * none is sold twice, none told sold out while one remains.
 */
const fallbackKill: Scenario = {
  fault: 'server-kill-in-fallback',
  what: "lua-buckets with every user homed in one bucket, 64 requests at a time: once that bucket's share is gone, every request moves places from another; one of the two servers killed with SIGKILL then, transfers in flight",
  reaches: (strategy) => strategy.name === 'lua-buckets',
  redis: 'none',
  crowd: { ...CROWD, skewed: true },
  async inject({ crowd, fleet, lab, couponId, quantity, notes }) {
    await crowd.whenSuccesses(quantity / 3);
    const [killed, other] = fleet.servers as [ServerProcess, ServerProcess];
    const fromMs = crowd.now();
    const caught = await stopWhileSending(lab, couponId, killed, crowd);
    crowd.sendTo([other.url]);
    killed.child.kill('SIGKILL');
    const toMs = crowd.now();
    notes.push(`on their way between buckets at the kill (stop ${caught.stops}): ${describeTransfers(caught)}, of which the killed server's: ${caught.killed}`);
    await crowd.done;
    notes.push(`once the crowd had finished: ${describeTransfers(await transfersInFlight(lab, couponId))}`);
    return { fromMs, toMs };
  },
  allows: always,
};

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
  clusterFailover,
  fallbackKill,
];

export const FAULT_NAMES = [...new Set(SCENARIOS.map((scenario) => scenario.fault))];

/** Between two looks at what MySQL runs: back to back, the looks would load the server they watch. */
const COMMIT_POLL_MS = 5;

/** True as soon as MySQL is running a COMMIT, false if it has not within a second. */
async function commitInFlight({ db }: Lab): Promise<boolean> {
  const deadline = Date.now() + 1_000;
  while (Date.now() < deadline) {
    const [[{ n }]] = (await db.raw("SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE 'COMMIT%'")) as [[{ n: number }]];
    if (Number(n) > 0) return true;
    await sleep(COMMIT_POLL_MS);
  }
  return false;
}

/** The coupon's streams: lua's one, or every bucket's of lua-buckets. */
async function couponStreams(lab: Lab, couponId: number): Promise<string[]> {
  const layout = await storedLayout(lab, couponId);
  return layout ? layout.buckets.map((bucket) => bucket.stream) : [lab.keys.couponStream(couponId)];
}

/** lua-buckets' layout of the coupon, if it split it; imported when asked for, as `coupon-lab --help` reads this module. */
async function storedLayout(lab: Lab, couponId: number) {
  const { storedLayout: stored } = await import('../../src/strategies/lua-buckets/coupon-hooks.js');
  return stored(lab, couponId);
}

/** Entries read by a consumer and not yet acknowledged, over the coupon's streams. */
async function pendingEntries(lab: Lab, couponId: number): Promise<number> {
  const counts = await Promise.all(
    (await couponStreams(lab, couponId)).map(async (stream) => ((await lab.redis.xpending(stream, CONSUMER_GROUP)) as [number])[0]),
  );
  return counts.reduce((sum, n) => sum + n, 0);
}

/** The port of the master serving a key, as the bench's cluster client sees it now. */
async function masterOf({ redis }: Lab, key: string): Promise<number> {
  const slot = await redis.cluster('KEYSLOT', key);
  const ranges = await redis.cluster('SLOTS');
  const master = ranges.find(([from, to]) => slot >= from && slot <= to)?.[2];
  if (!master) throw new Error(`no master serves slot ${slot}`);
  return master[1];
}

/** Polls a condition every 50 ms for up to 30 s. */
async function waitUntil(condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the fault to take effect');
    await sleep(50);
  }
}

interface InFlight {
  records: number;
  places: number;
  /** Of those records, the ones sent by the server about to be killed. */
  killed: number;
}

/** lua-buckets' transfers not yet known to have arrived: their records, the places they carry, and how many `server` sent. */
async function transfersInFlight(lab: Lab, couponId: number, server?: ServerProcess): Promise<InFlight> {
  const layout = await storedLayout(lab, couponId);
  const records = (await Promise.all((layout?.buckets ?? []).map((bucket) => lab.redis.hgetall(bucket.transfers)))).flatMap((hash) => Object.entries(hash));
  const sender = server && `${hostname()}:${server.child.pid}:`; // as fallback.ts names a sender
  return {
    records: records.length,
    places: records.reduce((sum, [, record]) => sum + Number(record.split(' ')[1]), 0),
    killed: sender ? records.filter(([id]) => id.startsWith(sender)).length : 0,
  };
}

/**
 * Stops the server (SIGSTOP) again and again and looks, while it cannot move, at what it has on its
 * way between buckets: stopped with a transfer half done, it is left stopped for the kill;
 * otherwise it goes on (SIGCONT). Gives up when the crowd ends, and says what it found then.
 */
async function stopWhileSending(lab: Lab, couponId: number, server: ServerProcess, crowd: FaultCrowd): Promise<InFlight & { stops: number }> {
  let ended = false;
  void crowd.done.then(() => (ended = true));
  for (let stops = 1; ; stops++) {
    server.child.kill('SIGSTOP');
    const stopped = await transfersInFlight(lab, couponId, server);
    if (stopped.killed > 0 || ended) return { ...stopped, stops };
    server.child.kill('SIGCONT');
    await sleep(1);
  }
}

function describeTransfers({ records, places }: { records: number; places: number }): string {
  return `${records} transfer${records === 1 ? '' : 's'} (${places} place${places === 1 ? '' : 's'})`;
}
