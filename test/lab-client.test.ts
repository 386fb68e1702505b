import { afterAll, describe, expect, it } from 'vitest';
import { describeUndrained, waitForDrain, type DrainOutcome } from '../lab-client/drain.js';
import { soldOutWhileAvailable } from '../lab-client/sold-out.js';
import { createDb } from '../src/core/db.js';
import { silentLog } from '../src/core/log.js';
import { Redis } from 'ioredis';
import { deleteKeysWithPrefix } from '../src/core/redis.js';
import { testConfig } from './support/config.js';

const config = testConfig();
const redis = new Redis(config.REDIS_URL);
const db = createDb(config.MYSQL_URL, 2, silentLog);

afterAll(async () => {
  await deleteKeysWithPrefix(redis, config.REDIS_KEY_PREFIX);
  redis.disconnect();
  await db.destroy();
});

/** A stream of `entries` entries that no consumer reads: a backlog nobody writes out. */
async function backlogOf(name: string, entries: number): Promise<string> {
  const key = `${config.REDIS_KEY_PREFIX}${name}`;
  for (let i = 0; i < entries; i++) await redis.xadd(key, '*', 'userId', String(i));
  return key;
}

function undrained(outcome: DrainOutcome): Extract<DrainOutcome, { drained: false }> {
  if (outcome.drained) throw new Error('expected the wait to give up');
  return outcome;
}

describe('waiting for the drain', () => {
  it('gives up once nothing was written for stallMs, saying how much is left and why', async () => {
    const key = await backlogOf('stalled', 3);
    const outcome = undrained(await waitForDrain(() => redis.xlen(key), { timeoutMs: 10_000, stallMs: 300 }));
    expect(outcome).toMatchObject({ pending: 3, gaveUp: 'stalled' });
    expect(outcome.waitedMs).toBeGreaterThanOrEqual(300);
    expect(outcome.waitedMs).toBeLessThan(2_000);
    expect(describeUndrained(outcome, 7)).toBe('3 accepted requests of coupon 7 still unwritten, none written in the last 0.3 s');
  });

  it('gives up after timeoutMs while entries are still being written, however slowly', async () => {
    const key = await backlogOf('slow', 50);
    // A consumer writing one entry every 50 ms: progress, but not done within the timeout.
    const shrinking = setInterval(() => {
      void redis.xrange(key, '-', '+', 'COUNT', 1).then(([first]) => first && redis.xdel(key, first[0]));
    }, 50);
    try {
      const outcome = undrained(await waitForDrain(() => redis.xlen(key), { timeoutMs: 400, stallMs: 300 }));
      expect(outcome.gaveUp).toBe('timeout');
      expect(outcome.pending).toBeGreaterThan(0);
      expect(describeUndrained(outcome, 8)).toMatch(/^\d+ accepted requests of coupon 8 still unwritten, after 0\.4 s$/);
    } finally {
      clearInterval(shrinking);
    }
  });

  it('resolves drained once the backlog is gone', async () => {
    const key = await backlogOf('written', 2);
    const waiting = waitForDrain(() => redis.xlen(key), { timeoutMs: 10_000, stallMs: 5_000 });
    await redis.del(key);
    expect((await waiting).drained).toBe(true);
  });

  it('counts a look that fails as unknown and says what it threw when it gives up', async () => {
    const outcome = undrained(await waitForDrain(() => Promise.reject(new Error('connect ECONNREFUSED')), { timeoutMs: 10_000, stallMs: 100 }));
    expect(outcome).toMatchObject({ pending: undefined, gaveUp: 'stalled', error: 'connect ECONNREFUSED' });
    expect(describeUndrained(outcome, 9)).toBe('the backlog of coupon 9 could not be read (connect ECONNREFUSED), none written in the last 0.1 s');
  });
});

describe('sold out while places remained', () => {
  /** A coupon of `quantity` places whose rows were stamped at these times (ms since the epoch). */
  async function couponSoldAt(quantity: number, issuedAt: number[]): Promise<number> {
    const [couponId] = (await db('coupons').insert({ title: 'sold out early', total_quantity: quantity })) as [number];
    const rows = issuedAt.map((at, i) => ({ coupon_id: couponId, user_id: i + 1, issued_at: new Date(at) }));
    if (rows.length) await db('coupon_issues').insert(rows);
    return couponId;
  }
  const T = Date.parse('2026-01-01T00:00:00.000Z');

  it('counts the answers received before the last place was stamped, not those at its very millisecond or after', async () => {
    // Three places, taken at T+5, T+1 and T+9 (stamped out of order): the last, by time, at T+9.
    const couponId = await couponSoldAt(3, [T + 5, T + 1, T + 9]);
    expect(await soldOutWhileAvailable(db, couponId, 3, [T + 2, T + 8.9, T + 9, T + 12])).toBe(2);
  });

  it('counts every answer when the coupon ended below its quantity, and none when nobody was told sold out', async () => {
    const couponId = await couponSoldAt(3, [T + 1, T + 2]);
    expect(await soldOutWhileAvailable(db, couponId, 3, [T + 50, T + 60])).toBe(2);
    expect(await soldOutWhileAvailable(db, couponId, 3, [])).toBe(0);
  });
});
