import { afterAll, beforeAll, expect, it } from 'vitest';
import { kill, spawnServer } from '../../harness/server-process.js';
import type { Config } from '../../src/core/config.js';
import { createDb, type Db } from '../../src/core/db.js';
import { silentLog } from '../../src/core/log.js';
import { closeRedis, createRedis, deleteKeysWithPrefix, type Redis } from '../../src/core/redis.js';
import { redisKeys } from '../../src/core/redis-keys.js';
import { waitFor } from './lab.js';

/**
 * The promise behind 202, on whichever Redis the configuration names: a server stopped while
 * accepted requests are still queued loses none of them once it is started again.
 * SIGKILL: nothing runs on the way out, so what is queued must survive in Redis alone.
 * SIGTERM: a graceful stop that answers what it took in and exits 0.
 */
export function describeRestarts(configOf: () => Config): void {
  let config: Config;
  let db: Db;
  let redis: Redis;
  beforeAll(() => {
    config = configOf();
    db = createDb(config.MYSQL_URL, 2, silentLog);
    redis = createRedis(config.REDIS_URL, { autoPipelining: false, log: silentLog, cluster: config.REDIS_CLUSTER });
  });
  afterAll(async () => {
    await deleteKeysWithPrefix(redis, config.REDIS_KEY_PREFIX);
    await db.destroy();
    await closeRedis(redis);
  });

  it.each([
    ['SIGKILL', null],
    ['SIGTERM', 0],
  ] as const)('%s with requests queued, then a restart: one row per 202, none lost, none doubled', async (signal, exitCode) => {
    const keys = redisKeys(config.REDIS_KEY_PREFIX);
    const [couponId] = (await db('coupons').insert({ title: `restart after ${signal}`, total_quantity: 5_000 })) as [number];
    // One entry per transaction keeps its consumer well behind the crowd (some hundreds a second
    // against thousands), so that requests are still queued when it stops, one batch half done.
    const first = await spawnServer({ ...config, CONSUMER_BATCH_SIZE: 1 });
    const accepted = new Set<number>();
    const statuses = new Set<number>();
    const crowd = Array.from(
      { length: 3_000 },
      (_, i) =>
        fetch(`${first.url}/v1/coupons/${couponId}/issues`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ userId: i + 1 }),
        })
          .then((response) => {
            statuses.add(response.status);
            if (response.status === 202) accepted.add(i + 1);
          })
          .catch(() => undefined), // cut off, or refused once the server stopped listening: never promised
    );
    const stream = keys.couponStream(couponId);
    await waitFor(async () => accepted.size >= 1_000, '1,000 requests accepted', 30_000);
    expect(await kill(first, signal)).toBe(exitCode);
    await Promise.all(crowd);
    expect([...statuses]).toEqual([202]); // whatever was answered was accepted: no 5xx on the way down
    const queuedAtStop = await redis.xlen(stream);
    if (signal === 'SIGKILL') expect(queuedAtStop).toBeGreaterThan(0);

    const second = await spawnServer(config);
    try {
      await waitFor(async () => (await redis.xlen(stream)) === 0, 'queue drained after restart');
    } finally {
      await kill(second, 'SIGTERM');
    }

    const rows = await db('coupon_issues').where({ coupon_id: couponId }).select('user_id');
    const holders = new Set(rows.map((row: { user_id: number }) => Number(row.user_id)));
    expect(holders.size).toBe(rows.length); // nobody holds two
    expect([...accepted].filter((user) => !holders.has(user))).toEqual([]); // every 202 has its row
    // Admitted requests whose 202 the stop cut off are written too: Redis and MySQL agree.
    expect(rows.length).toBe(await redis.scard(keys.couponRequests(couponId)));
    const coupon = await db('coupons').where({ id: couponId }).first('issued_quantity');
    expect(coupon.issued_quantity).toBe(rows.length);
  });
}
