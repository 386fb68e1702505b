import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BenchReport } from '../bench/report.js';
import { kill, spawnConsumer } from '../harness/server-process.js';
import { startRedisCluster, type PrivateRedisCluster } from '../harness/instances.js';
import { ephemeralLow } from '../harness/ports.js';
import { cliCommandLine } from '../src/project-paths.js';
import { testConfig } from './support/config.js';
import { describeContract } from './support/contract.js';
import { crowd, startTestServer, waitFor, type TestServer } from './support/lab.js';
import { describeRestarts } from './support/restarts.js';
import { layoutOf, soldOutWhileAvailable, timedCrowd, usersOfBucket } from './support/buckets.js';

/**
 * `lua` on a real Redis Cluster of three masters (private redis-server processes made into a
 * cluster by redis-cli), which the design's one global queue key could not run on: every key a
 * script or a transaction names must hash to one slot.
 */
let cluster: PrivateRedisCluster;
let server: TestServer;
const run = promisify(execFile);
const onCluster = () => ({ REDIS_URL: cluster.url, REDIS_CLUSTER: 'true', CONSUMER_CLAIM_IDLE_MS: '500' });

beforeAll(async () => {
  cluster = await startRedisCluster(3);
  server = await startTestServer(onCluster());
}, 60_000);
afterAll(async () => {
  await server?.close();
  await cluster?.stop();
});

describe('lua on a Redis Cluster of three masters', () => {
  it("puts every node's cluster bus below the ephemeral range, where no client's source port can take it across a restart", async () => {
    const low = await ephemeralLow();
    const nodes = String(await server.lab.redis.cluster('NODES'));
    const busPorts = [...nodes.matchAll(/:\d+@(\d+)/g)].map((match) => Number(match[1]));
    expect(busPorts).toHaveLength(3);
    for (const port of busPorts) expect(port).toBeLessThan(low);
  });

  describeContract(['lua', 'lua-buckets'], () => server);

  it("spreads coupons over the masters, and the consumer writes every one's stream", async () => {
    const coupons = await Promise.all(Array.from({ length: 6 }, () => server.createCoupon({ totalQuantity: 30 })));
    const owners = await Promise.all(coupons.map((id) => masterOf(server, id)));
    expect(new Set(owners).size).toBeGreaterThan(1);
    for (const couponId of coupons) {
      const tally = await crowd(Array.from({ length: 40 }, (_, i) => () => server.post(`/v1/strategies/lua/coupons/${couponId}/issues`, { userId: i + 1 })));
      expect(tally).toEqual({ 202: 30, COUPON_SOLD_OUT: 10 });
    }
    for (const couponId of coupons) {
      await server.drained(couponId);
      expect(await server.rows(couponId)).toEqual({ rows: 30, users: 30, issuedQuantity: 30 });
    }
  });

  it('loses nothing when its consumer, a process of its own, is killed with a backlog and another takes over', async () => {
    const config = testConfig({ ...onCluster(), CONSUMER_BATCH_SIZE: '10' });
    // Accepted by a server with no consumer running, so that a backlog waits for the one killed.
    const lua = await startTestServer({ ...onCluster(), REDIS_KEY_PREFIX: config.REDIS_KEY_PREFIX, CONSUMER_IN_PROCESS: 'false' });
    try {
      const own = await lua.createCoupon({ totalQuantity: 500 });
      const tally = await crowd(Array.from({ length: 500 }, (_, i) => () => lua.post(`/v1/strategies/lua/coupons/${own}/issues`, { userId: i + 1 })));
      expect(tally).toEqual({ 202: 500 });
      const dying = await spawnConsumer(config);
      await waitFor(async () => (await lua.rows(own)).rows > 0, 'the consumer writing');
      await kill(dying, 'SIGKILL');
      expect((await lua.rows(own)).rows).toBeLessThan(500);
      const next = await spawnConsumer(config);
      try {
        await lua.drained(own);
      } finally {
        await kill(next, 'SIGTERM');
      }
      expect(await lua.rows(own)).toEqual({ rows: 500, users: 500, issuedQuantity: 500 });
    } finally {
      await lua.close();
    }
  });
});

describe('lua-buckets on a Redis Cluster of three masters', () => {
  const BUCKETS = 3;
  const issue = (couponId: number, userId: number) => server.post(`/v1/strategies/lua-buckets/coupons/${couponId}/issues`, { userId });

  it("puts one coupon's buckets on three masters, whatever the coupon's id", async () => {
    for (let i = 0; i < 5; i++) {
      const couponId = await server.createCoupon({ totalQuantity: 30 });
      expect((await issue(couponId, 1)).status).toBe(202); // the first request splits it
      const layout = await layoutOf(server, couponId);
      const masters = await Promise.all(layout.buckets.map((bucket) => masterOfKey(server, bucket.stream)));
      expect(new Set(masters).size).toBe(3);
    }
  });

  it('sells every place to a crowd whose every user is homed in one bucket, one master, and tells none sold out while a place remained', async () => {
    const couponId = await server.createCoupon({ totalQuantity: 90 });
    const answers = await timedCrowd(server, couponId, usersOfBucket(1, BUCKETS, 400));
    expect(answers.filter((a) => a.answer.status === 202)).toHaveLength(90);
    expect(answers.filter((a) => a.answer.body?.code === 'COUPON_SOLD_OUT')).toHaveLength(310);
    expect(soldOutWhileAvailable(answers)).toBe(0);
    await server.drained(couponId);
    expect(await server.rows(couponId)).toEqual({ rows: 90, users: 90, issuedQuantity: 90 });
  });

  it("admits a user once when fifty of their requests arrive at once and their home bucket is empty: each looks at the other masters' buckets", async () => {
    const couponId = await server.createCoupon({ totalQuantity: 6 });
    const [first, second, user] = usersOfBucket(0, BUCKETS, 3) as [number, number, number];
    expect(await crowd([first, second].map((userId) => () => issue(couponId, userId)))).toEqual({ 202: 2 });
    const tally = await crowd(Array.from({ length: 50 }, () => () => issue(couponId, user)));
    expect(tally).toEqual({ 202: 1, ALREADY_ISSUED: 49 });
    await server.drained(couponId);
    expect(await server.rows(couponId)).toEqual({ rows: 3, users: 3, issuedQuantity: 3 });
  });
});

describe('the bench on a Redis Cluster', () => {
  it('runs lua, lua-buckets and a Redis lock there with --redis-cluster, all EXACT, says it ran on a cluster, and splits their Redis work by master', async () => {
    const config = testConfig();
    const args = [
      'bench',
      '--redis-cluster',
      '--redis-url',
      cluster.url,
      '--strategy',
      'lua,lua-buckets,spin-lock',
      '--users',
      '300',
      '--quantity',
      '30',
      '--json',
    ];
    const { stdout } = await run(...cliCommandLine(args), { env: { ...process.env, MYSQL_URL: config.MYSQL_URL, REDIS_KEY_PREFIX: config.REDIS_KEY_PREFIX } });
    const report = JSON.parse(stdout) as BenchReport;
    expect(report.results.map((r) => [r.strategy, r.verdict])).toEqual([
      ['lua', 'EXACT'],
      ['lua-buckets', 'EXACT'],
      ['spin-lock', 'EXACT'],
    ]);
    expect(report.settings.redisCluster).toBe(true);
    expect(report.machine.redis).toMatch(/, a cluster of 3 masters$/);
    const [lua, buckets] = report.results;
    for (const result of [lua!, buckets!]) {
      expect(result.runs[0]!.masters?.map((m) => m.master).sort()).toEqual(cluster.nodes.map((node) => `127.0.0.1:${node.port}`).sort());
      expect(result.masters?.map((m) => m.master)).toEqual(['busiest', '2nd', '3rd']);
    }
    // One coupon: lua's on one master, lua-buckets' over the three.
    expect(lua!.busiestShare).toBeGreaterThan(0.8);
    expect(buckets!.busiestShare).toBeLessThan(0.5);
  }, 180_000);
});

describe('a command pointed at one node of the cluster without REDIS_CLUSTER', () => {
  it('refuses to start, in one line naming REDIS_CLUSTER, rather than answer every request whose key lives elsewhere with an error', async () => {
    const config = testConfig();
    const node = cluster.nodes[0]!.url;
    const result = await run(...cliCommandLine(['start', '--port', '0']), {
      env: { ...process.env, MYSQL_URL: config.MYSQL_URL, REDIS_URL: node, METRICS_PORT: '0' },
      timeout: 30_000,
    }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code?: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
    );
    expect(result.stderr.trimEnd().split('\n')).toEqual([
      `Redis at ${node} (REDIS_URL) is a node of a Redis Cluster: set REDIS_CLUSTER=true or give --redis-cluster, and list its nodes in REDIS_URL`,
    ]);
    expect(result.code).toBe(2);
  });
});

describe('lua on a Redis Cluster: a server stopped with requests queued', () => {
  describeRestarts(() => testConfig({ ...onCluster(), ISSUE_STRATEGY: 'lua' }));
});

/** The port of the master that serves a coupon's keys, as the lab's cluster client sees it. */
function masterOf(lab: TestServer, couponId: number): Promise<number> {
  return masterOfKey(lab, lab.lab.keys.couponStream(couponId));
}

/** The port of the master that serves a key. */
async function masterOfKey(lab: TestServer, key: string): Promise<number> {
  const slot = await lab.lab.redis.cluster('KEYSLOT', key);
  const ranges = await lab.lab.redis.cluster('SLOTS');
  const master = ranges.find(([from, to]) => slot >= from && slot <= to)?.[2];
  if (!master) throw new Error(`no master serves slot ${slot}`);
  return master[1];
}

describe('a Redis Cluster that loses a master', () => {
  it('answers 503 SERVICE_UNAVAILABLE, never 500: at once for the slots it served, and for every slot once the cluster is down', async () => {
    const own = await startRedisCluster(3);
    const down = await startTestServer({ REDIS_URL: own.url, REDIS_CLUSTER: 'true', CONSUMER_IN_PROCESS: 'false' });
    const issueAll = async (couponIds: number[], firstUser: number) => {
      const answers = await Promise.all(
        ['lua', 'spin-lock'].flatMap((strategy) =>
          couponIds.map((couponId, i) => down.post(`/v1/strategies/${strategy}/coupons/${couponId}/issues`, { userId: firstUser + i })),
        ),
      );
      return answers.map((answer) => `${answer.status} ${(answer.body as { code?: string }).code}`);
    };
    try {
      const coupons = await Promise.all(Array.from({ length: 6 }, () => down.createCoupon({ totalQuantity: 10 })));
      const [victim, survivor] = own.nodes as [PrivateRedisCluster['nodes'][0], PrivateRedisCluster['nodes'][0]];
      const served = (await Promise.all(coupons.map(async (id) => ((await masterOf(down, id)) === victim.port ? [id] : [])))).flat();
      expect(served.length).toBeGreaterThan(0);

      await victim.kill('SIGKILL');
      expect(new Set(await issueAll(served, 1))).toEqual(new Set(['503 SERVICE_UNAVAILABLE']));
      // The others mark it failed after the node timeout, and with a slot unserved, refuse every command (CLUSTERDOWN).
      const admin = new Redis({ host: '127.0.0.1', port: survivor.port, lazyConnect: true });
      try {
        await waitFor(async () => String(await admin.cluster('INFO')).includes('cluster_state:fail'), 'the survivors seeing the cluster down');
      } finally {
        admin.disconnect();
      }
      expect(new Set(await issueAll(coupons, 100))).toEqual(new Set(['503 SERVICE_UNAVAILABLE']));
    } finally {
      await down.close().catch(() => {});
      await own.stop();
    }
  }, 60_000);
});
