import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpCrowd } from '../bench/load.js';
import { configEnv, kill, spawnServer, type ServerProcess } from '../harness/server-process.js';
import { drainOrThrow, streamBacklog } from '../lab-client/drain.js';
import { createCoupon } from '../src/core/coupon-service.js';
import { createMetrics } from '../src/core/metrics.js';
import { deleteKeysWithPrefix } from '../src/core/redis.js';
import { IssueStreamConsumer } from '../src/consumer/stream-consumer.js';
import { createLab, type Lab } from '../src/lab.js';
import { cliCommandLine } from '../src/project-paths.js';
import { STRATEGY_NAMES, type StrategyName } from '../src/strategies/index.js';
import { testConfig } from './support/config.js';
import { waitFor } from './support/lab.js';

/**
 * What an operator watches must be what happened: after a crowd through each strategy, the
 * counters on /metrics equal the rows in MySQL — with two server processes behind one port,
 * so that the sum over processes is checked too.
 */
let lab: Lab; // this process's view of the same database and Redis prefix: no consumer, no server
let server: ServerProcess;
const logLines: string[] = [];

beforeAll(async () => {
  lab = createLab(testConfig({ LOG_REQUESTS: 'failed' }));
  server = await spawnServer({ ...lab.config, PORT: 0 }, { instances: 2, onLog: (line) => logLines.push(line) });
});
afterAll(async () => {
  await kill(server, 'SIGTERM');
  await deleteKeysWithPrefix(lab.redis, lab.config.REDIS_KEY_PREFIX);
  await lab.close();
});

/** Samples of a Prometheus text exposition: `name{a="b"} 1` → key `name{a="b"}`. */
async function scrape(url: string): Promise<Map<string, number>> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const samples = new Map<string, number>();
  for (const line of (await response.text()).split('\n')) {
    const match = /^([a-z_:][\w:]*(?:\{[^}]*\})?) (\S+)$/i.exec(line);
    if (match) samples.set(match[1]!, Number(match[2]));
  }
  return samples;
}

/** Sum of every sample of `name` whose labels include all of `labels`. */
function total(samples: Map<string, number>, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const [key, value] of samples) {
    if (key !== name && !key.startsWith(`${name}{`)) continue;
    if (Object.entries(labels).every(([label, wanted]) => key.includes(`${label}="${wanted}"`))) sum += value;
  }
  return sum;
}

async function rowsOf(couponId: number): Promise<number> {
  const [{ rows }] = (await lab.db('coupon_issues').where({ coupon_id: couponId }).count({ rows: '*' })) as [{ rows: number }];
  return Number(rows);
}

describe('GET /metrics of a server of two processes', () => {
  it.each(STRATEGY_NAMES)('%s: the counters move by exactly what the crowd was told and MySQL holds', async (strategy: StrategyName) => {
    const coupon = await createCoupon(lab, terms(`metrics ${strategy}`, 100));
    const before = await scrape(`${server.url}/metrics`);
    const crowd = { users: 300, requestsPerUser: 2, concurrency: 100 };
    const result = await httpCrowd(server.url, `/v1/strategies/${strategy}/coupons/${coupon.id}/issues`, crowd);
    await drainOrThrow(streamBacklog(lab, coupon.id), coupon.id, { timeoutMs: 30_000 });
    const after = await scrape(`${server.url}/metrics`);
    const moved = (name: string, labels: Record<string, string> = {}) => total(after, name, labels) - total(before, name, labels);

    const rows = await rowsOf(coupon.id);
    const answered = { strategy };
    expect(moved('coupon_lab_issue_requests_total', answered)).toBe(600);
    const successes =
      moved('coupon_lab_issue_requests_total', { strategy, outcome: 'issued' }) + moved('coupon_lab_issue_requests_total', { strategy, outcome: 'accepted' });
    expect({ successes, soldOut: moved('coupon_lab_issue_requests_total', { strategy, code: 'COUPON_SOLD_OUT' }) }).toEqual({
      successes: rows,
      soldOut: result.answers.soldOut,
    });
    expect(result.answers.success).toBe(rows);
    expect(moved('coupon_lab_issue_duration_seconds_count', answered)).toBe(600);
    // Rows the consumer wrote are the accepted ones; the synchronous strategies write their own.
    expect(moved('coupon_lab_consumer_rows_written_total')).toBe(strategy === 'lua' || strategy === 'lua-buckets' ? rows : 0);
    // One wait per request that got its lock, or per transaction attempt where a retry after a
    // deadlock waits again, as the strategy declares.
    const waits = moved('coupon_lab_lock_wait_seconds_count', answered);
    const timedOut = result.answers.errors.LOCK_TIMEOUT ?? 0;
    const { lockWaits } = lab.strategies[strategy];
    if (lockWaits === 'each request') expect(waits).toBe(600 - timedOut);
    if (lockWaits === 'each attempt') expect(waits).toBeGreaterThanOrEqual(600 - timedOut);
    if (lockWaits === 'none') expect(waits).toBe(0);
  });

  it("reports the consumer (in the primary) caught up, and the processes' Node metrics", async () => {
    const samples = await scrape(`${server.url}/metrics`);
    expect(samples.get('coupon_lab_consumer_pending_entries')).toBe(0);
    expect(samples.get('coupon_lab_consumer_oldest_pending_age_seconds')).toBe(0);
    expect(total(samples, 'process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(total(samples, 'nodejs_eventloop_lag_p99_seconds')).toBeGreaterThan(0);
  });

  it('logs one JSON line per failed request (method, path, status, code), none for the normal answers', async () => {
    const coupon = await createCoupon(lab, terms('metrics log lines', 1));
    const answers = await Promise.all(
      [1, 2, 3, 1].map((userId) =>
        fetch(`${server.url}/v1/strategies/record-lock/coupons/${coupon.id}/issues`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ userId }),
        }).then((response) => response.status),
      ),
    );
    expect(answers.sort()).toEqual([201, 409, 409, 409]);
    const answer = await fetch(`${server.url}/v1/coupons/not-a-number`);
    expect(answer.status).toBe(400);
    const isThat = (line: string) => line.includes('/v1/coupons/not-a-number');
    await waitFor(async () => logLines.some(isThat), 'the request logged');
    expect(JSON.parse(logLines.find(isThat)!)).toMatchObject({
      level: 'info',
      method: 'GET',
      url: '/v1/coupons/not-a-number',
      status: 400,
      code: 'INVALID_REQUEST',
      msg: 'request',
    });
    // Issued, sold out, already issued: the normal answers get no line.
    const issueLines = logLines.filter((line) => line.includes(`/coupons/${coupon.id}/issues`));
    expect(issueLines).toEqual([]);
  });
});

describe('coupon admin routes', () => {
  const isWarning = (line: string) => line.includes('"level":"warn"') && line.includes('ADMIN_TOKEN');

  it('open without ADMIN_TOKEN: the server says so at start, once', () => {
    expect(logLines.filter(isWarning)).toHaveLength(1);
    expect(JSON.parse(logLines.find(isWarning)!).msg).toMatch(/POST \/v1\/coupons and PATCH \/v1\/coupons\/:couponId are open/);
  });

  it('guarded with ADMIN_TOKEN: no warning', async () => {
    const lines: string[] = [];
    const guarded = await spawnServer(
      { ...lab.config, PORT: 0, ADMIN_TOKEN: 'lab-admin-token', CONSUMER_IN_PROCESS: false },
      { onLog: (line) => lines.push(line) },
    );
    try {
      expect((await fetch(`${guarded.url}/v1/coupons`, { method: 'POST' })).status).toBe(401);
      expect(lines.filter(isWarning)).toEqual([]);
    } finally {
      await kill(guarded, 'SIGTERM');
    }
  });
});

it('LOG_REQUESTS=all: a line for every request, with the time it took', async () => {
  const lines: string[] = [];
  const all = await spawnServer({ ...lab.config, PORT: 0, LOG_REQUESTS: 'all', CONSUMER_IN_PROCESS: false }, { onLog: (line) => lines.push(line) });
  try {
    expect((await fetch(`${all.url}/hello`)).status).toBe(200);
    await waitFor(async () => lines.some((line) => line.includes('"/hello"')), 'the request logged');
    const line = JSON.parse(lines.find((each) => each.includes('"/hello"'))!) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 'info', method: 'GET', url: '/hello', status: 200, msg: 'request' });
    expect(line.ms).toBeGreaterThanOrEqual(0);
  } finally {
    await kill(all, 'SIGTERM');
  }
});

describe('METRICS_PORT with a server of two processes', () => {
  it('the primary serves the sum of both there, and the API port has no /metrics', async () => {
    const split = await spawnServer({ ...lab.config, PORT: 0, METRICS_PORT: 0, CONSUMER_IN_PROCESS: false }, { instances: 2 });
    try {
      expect(split.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      const coupon = await createCoupon(lab, terms('metrics port', 1_000));
      const before = await scrape(split.metricsUrl);
      // Twenty connections, handed to the two processes in turn: each counts its share.
      const crowd = { users: 200, requestsPerUser: 1, concurrency: 20 };
      const result = await httpCrowd(split.url, `/v1/strategies/record-lock/coupons/${coupon.id}/issues`, crowd);
      expect(result.answers.success).toBe(200);
      const after = await scrape(split.metricsUrl);
      const moved = (labels: Record<string, string>) =>
        total(after, 'coupon_lab_issue_requests_total', labels) - total(before, 'coupon_lab_issue_requests_total', labels);
      expect(moved({ strategy: 'record-lock', outcome: 'issued' })).toBe(200);
      expect((await fetch(`${split.url}/metrics`)).status).toBe(404);
    } finally {
      await kill(split, 'SIGTERM');
    }
  });
});

describe('the lag gauges', () => {
  it('are absent without a consumer, NaN when the lag cannot be read, the lag once it can', async () => {
    const metrics = createMetrics();
    expect(await metrics.registry.metrics()).not.toContain('coupon_lab_consumer_pending_entries');
    const stop = metrics.watchConsumerLag(() => Promise.reject(new Error('redis is down')));
    // prom-client writes it `Nan`; Prometheus reads NaN in any case.
    expect(await metrics.registry.metrics()).toMatch(/^coupon_lab_consumer_pending_entries nan$/im);
    stop();
    metrics.watchConsumerLag(async () => ({ pending: 7, oldestAgeSeconds: 1.5 }));
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/^coupon_lab_consumer_pending_entries 7$/m);
    expect(text).toMatch(/^coupon_lab_consumer_oldest_pending_age_seconds 1\.5$/m);
  });
});

describe('the consumer as a process of its own', () => {
  it('serves /metrics on METRICS_PORT: the backlog before it starts, then what it wrote', async () => {
    // A prefix of its own: the server above runs a consumer, which would take these entries.
    const own = createLab(testConfig());
    try {
      const coupon = await createCoupon(own, terms('metrics consumer', 1_000));
      for (let userId = 1; userId <= 250; userId++) await own.strategies.lua.issue({ couponId: coupon.id, userId });
      // Not started: it only reads the backlog, as the gauges do at scrape time.
      const lag = await new IssueStreamConsumer({ ...own, blockingRedis: own.redis }).source.lag();
      expect(lag.pending).toBe(250);
      expect(lag.oldestAgeSeconds).toBeGreaterThan(0);

      const child = spawn(...cliCommandLine(['consumer']), {
        env: { ...process.env, ...configEnv({ ...own.config, METRICS_PORT: 0, MIGRATE_ON_START: false, LOG_LEVEL: 'info' }) },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      try {
        const started = new Promise<string>((resolve) =>
          createInterface({ input: child.stderr }).on('line', (line) => {
            if (line.includes('"consumer started"')) resolve((JSON.parse(line) as { metrics: string }).metrics);
          }),
        );
        const exited = once(child, 'exit').then(([code]) => {
          throw new Error(`the consumer exited with ${code} before it started`);
        });
        const metricsUrl = await Promise.race([started, exited]);
        await drainOrThrow(streamBacklog(own, coupon.id), coupon.id, { timeoutMs: 30_000 });
        const written = async () => total(await scrape(metricsUrl), 'coupon_lab_consumer_rows_written_total');
        await waitFor(async () => (await written()) >= 250, 'the rows counted');
        const samples = await scrape(metricsUrl);
        expect(await rowsOf(coupon.id)).toBe(250);
        expect(total(samples, 'coupon_lab_consumer_rows_written_total')).toBe(250);
        expect(samples.get('coupon_lab_consumer_pending_entries')).toBe(0);
        expect(total(samples, 'process_resident_memory_bytes')).toBeGreaterThan(0);
      } finally {
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        await exited;
      }
    } finally {
      await deleteKeysWithPrefix(own.redis, own.config.REDIS_KEY_PREFIX);
      await own.close();
    }
  });
});

function terms(title: string, totalQuantity: number) {
  return { title, totalQuantity, discountAmount: 0, minAvailableAmount: 0, issueStartAt: null, issueEndAt: null };
}
