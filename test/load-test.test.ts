import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kill, spawnServer, type ServerProcess } from '../harness/server-process.js';
import type { LoadTestReport } from '../load-test/report.js';
import { countRows } from '../lab-client/rows.js';
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

function labCommand(args: string[], extraEnv: Record<string, string> = {}): Promise<{ stdout: string; stderr: string }> {
  return run(...cliCommandLine(args), { env: { ...env, ...extraEnv } });
}

/** Runs a command to its end, whatever its exit status. */
function finished(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(...cliCommandLine(args), { env, timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
    );
  });
}

async function rowsOf(couponId: number): Promise<{ rows: number; users: number }> {
  const { rows, users } = await countRows(db, couponId);
  return { rows, users };
}

describe('npm run load-locust', () => {
  it('prints Locust and autocannon side by side on coupons of their own, each sold out EXACTly through lua', async () => {
    // execFile rejects on a non-zero exit: lua over-issuing, or a generator that did not run, fails here.
    const { stdout, stderr } = await labCommand(['load-locust', '--strategy', 'lua', '--connections', '30', '--duration', '3s', '--quantity', '50']);
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
      expect(stdout).toContain(`coupon ${numbers.couponId} (${generator}): 50 rows, 50 distinct users, issued_quantity 50 of 50, sold out: yes — EXACT\n`);
      // What the command claims, checked in MySQL by this test.
      expect(await rowsOf(numbers.couponId)).toEqual({ rows: 50, users: 50 });
      // Its progress: one line on stderr, even without a terminal, naming what ran.
      const inFlight = generator === 'locust' ? '30 users' : '30 connections';
      expect(stderr).toMatch(new RegExp(`^load-locust: ${generator}: ${inFlight} for 3 s, lua on coupon ${numbers.couponId}… ${number} req/s`, 'm'));
    }
    expect(stdout).toContain('\n30 Locust users and autocannon connections (Locust starts 30/s), 3 s each, each generator on a fresh coupon of 50 places\n');
    expect(stdout).toContain('; Locust rounds times above 100 ms to 10 ms;');
    expect(stderr).not.toMatch(/Warning/);
  }, 40_000);
});

describe('npm run load-autocannon', () => {
  it('sees unsafe over-issue a small coupon under 200 connections, reports it as expected, and exits 0', async () => {
    // With ADMIN_TOKEN, as a guarded server runs: the command creates its coupon with the token.
    const args = ['load-autocannon', '--strategy', 'unsafe', '--connections', '200', '--duration', '2', '--quantity', '20', '--json'];
    const { stdout } = await labCommand(args, { ADMIN_TOKEN: 'load-test-admin-token' });
    const report = JSON.parse(stdout) as LoadTestReport;
    expect(report.runs.map((r) => r.generator)).toEqual(['autocannon']);
    const [only] = report.runs;
    expect(only!.numbers!.requests).toBeGreaterThan(20);
    expect(only!.coupon).toMatchObject({
      verdict: 'OVER-ISSUED',
      expected: 'OVER-ISSUED',
      totalQuantity: 20,
      soldOut: true,
      lost: 0,
      duplicated: 0,
      problems: [],
    });
    const { rows, overIssued } = only!.coupon!;
    expect(overIssued).toBeGreaterThan(0);
    expect(rows).toBe(20 + overIssued);
    // What the crowd was told, and who holds a row: each user told yes holds one.
    expect(only!.answers!.success).toBe(rows);
    expect(report.ok).toBe(true);
    expect(await rowsOf(only!.couponId!)).toEqual({ rows, users: rows });
  }, 30_000);
});

describe('a load test on a server that runs no consumer (--host)', () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await spawnServer({ ...config, CONSUMER_IN_PROCESS: false });
  });
  afterAll(() => kill(server, 'SIGTERM'));

  it('says what it waits for, gives up once nothing was written for --give-up-after, and exits 1', async () => {
    const args = ['--host', server.url, '--strategy', 'lua', '--connections', '20', '--duration', '1', '--quantity', '1000000', '--give-up-after', '1s'];
    const { code, stdout, stderr } = await finished(['load-autocannon', ...args]);
    // Requests still in flight when the crowd stopped may be accepted after the first look: the count may grow.
    const waited =
      /^load-autocannon: autocannon: .*; waiting for the consumer to write [\d,]+ accepted requests of coupon (\d+) \(is a consumer running\?\)… gave up: ([\d,]+) accepted requests of coupon \1 still unwritten, none written in the last 1 s$/m.exec(
        stderr,
      );
    expect(waited, `${stderr}\n${stdout}`).not.toBeNull();
    const [, couponId, left] = waited!;
    expect(stdout).toContain(`coupon ${couponId} (autocannon): `);
    expect(stdout).toContain(`(${left} accepted requests of coupon ${couponId} still unwritten, none written in the last 1 s: is a consumer running?) ✗`);
    expect(code).toBe(1);
    // Of autocannon alone: no word of Locust or of other generators.
    expect(stdout).toContain('\n20 connections, 1 s, on a fresh coupon of 1,000,000 places\n');
    expect(stdout).not.toMatch(/locust|each generator/i);
  }, 30_000);
});
