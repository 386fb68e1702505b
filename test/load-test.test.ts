import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import type { LoadTestReport } from '../bench/load-test/report.js';
import { createDb } from '../src/core/db.js';
import { createRedis, deleteKeysWithPrefix } from '../src/core/redis.js';
import { cliCommandLine } from '../src/project-paths.js';
import { testConfig } from './support/config.js';
import { silentLog } from '../src/core/log.js';

const run = promisify(execFile);
// The test database, and Redis keys of this file's own, for the servers the commands start.
const config = testConfig();
const env = { ...process.env, MYSQL_URL: config.MYSQL_URL, REDIS_KEY_PREFIX: config.REDIS_KEY_PREFIX };
const db = createDb(config.MYSQL_URL, 2, silentLog);

afterAll(async () => {
  await db.destroy();
  const redis = createRedis(config.REDIS_URL, { autoPipelining: false, log: silentLog });
  await deleteKeysWithPrefix(redis, config.REDIS_KEY_PREFIX).finally(() => redis.disconnect());
});

function labCommand(args: string[], extraEnv: Record<string, string> = {}): Promise<{ stdout: string }> {
  return run(...cliCommandLine(args), { env: { ...env, ...extraEnv } });
}

async function rowsOf(couponId: number): Promise<{ rows: number; users: number }> {
  const [counts] = await db('coupon_issues')
    .where({ coupon_id: couponId })
    .select(db.raw('COUNT(*) AS `rows`'), db.raw('COUNT(DISTINCT user_id) AS users'));
  return { rows: Number(counts.rows), users: Number(counts.users) };
}

describe('npm run load:locust', () => {
  it('prints Locust and autocannon side by side on coupons of their own, each sold out EXACTly through lua', async () => {
    // execFile rejects on a non-zero exit: lua over-issuing, or a generator that did not run, fails here.
    const { stdout } = await labCommand(['load-locust', '--strategy', 'lua', '--users', '30', '--duration', '3s', '--quantity', '50']);
    const number = '[\\d,.]+';
    const rows = new Map<string, { couponId: number; requests: number; throughput: number; failures: number }>();
    for (const generator of ['locust', 'autocannon']) {
      const row = new RegExp(`^${generator} +(\\d+) +(${number}) +(${number})(?: +${number}){4} +(${number})$`, 'm').exec(stdout);
      expect(row, `${generator}'s row in:\n${stdout}`).not.toBeNull();
      const [couponId, requests, throughput, failures] = row!.slice(1).map((cell) => Number(cell.replaceAll(',', '')));
      rows.set(generator, { couponId: couponId!, requests: requests!, throughput: throughput!, failures: failures! });
    }
    const locust = rows.get('locust')!;
    const autocannon = rows.get('autocannon')!;
    expect(locust.couponId).not.toBe(autocannon.couponId);
    for (const [generator, numbers] of rows) {
      expect(numbers.requests, generator).toBeGreaterThan(50); // enough to sell the coupon out
      expect(numbers.throughput, generator).toBeGreaterThan(0);
      expect(numbers.failures, generator).toBe(0);
      expect(stdout).toContain(
        `coupon ${numbers.couponId} (${generator}): 50 rows, 50 distinct users, issued_quantity 50 of 50: EXACT\n`,
      );
      // What the command claims, checked in MySQL by this test.
      expect(await rowsOf(numbers.couponId)).toEqual({ rows: 50, users: 50 });
    }
  }, 40_000);
});

describe('npm run load:autocannon', () => {
  it('sees unsafe over-issue a small coupon under 200 connections, reports it as expected, and exits 0', async () => {
    // With ADMIN_TOKEN, as a guarded server runs: the command creates its coupon with the token.
    const args = ['load-autocannon', '--strategy', 'unsafe', '--users', '200', '--duration', '2', '--quantity', '20', '--json'];
    const { stdout } = await labCommand(args, { ADMIN_TOKEN: 'load-test-admin-token' });
    const report = JSON.parse(stdout) as LoadTestReport;
    expect(report.runs.map((r) => r.generator)).toEqual(['autocannon']);
    const [only] = report.runs;
    expect(only!.numbers!.requests).toBeGreaterThan(20);
    expect(only!.coupon).toMatchObject({ verdict: 'OVER-ISSUED', expected: 'OVER-ISSUED', totalQuantity: 20, problems: [] });
    const { rows, by } = only!.coupon!;
    expect(by).toBeGreaterThan(0);
    expect(rows).toBe(20 + by);
    expect(report.ok).toBe(true);
    expect(await rowsOf(only!.couponId!)).toEqual({ rows, users: rows });
  }, 30_000);
});
