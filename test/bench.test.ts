import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BenchReport } from '../bench/report.js';
import { runBench } from '../bench/run-bench.js';
import { verifyCoupon } from '../bench/verify.js';
import { createCoupon } from '../src/core/coupon-service.js';
import { deleteKeysWithPrefix } from '../src/core/redis.js';
import { createLab, type Lab } from '../src/lab.js';
import { cliCommandLine } from '../src/project-paths.js';
import { launchChromium } from './support/browser.js';
import { testConfig } from './support/config.js';

const run = promisify(execFile);
const config = testConfig();
let lab: Lab;
beforeAll(() => {
  lab = createLab(config);
});
afterAll(async () => {
  await deleteKeysWithPrefix(lab.redis, config.REDIS_KEY_PREFIX);
  await lab.close();
});

describe('npm run bench', () => {
  let dir: string;
  let stdout: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coupon-lab-bench-'));
    const env = { ...process.env, MYSQL_URL: config.MYSQL_URL, REDIS_KEY_PREFIX: config.REDIS_KEY_PREFIX };
    const args = ['bench', '--strategy', 'record-lock,lua', '--users', '400', '--quantity', '40', '--instances', '1,2'];
    ({ stdout } = await run(...cliCommandLine([...args, '--json', '--out', join(dir, 'r.json'), '--report', join(dir, 'r.html')]), { env }));
  }, 120_000);

  it('prints JSON a script can parse, the same report it writes with --out, and exits 0', async () => {
    const printed = JSON.parse(stdout) as BenchReport;
    expect(JSON.parse(await readFile(join(dir, 'r.json'), 'utf8'))).toEqual(printed);
    expect(printed.ok).toBe(true);
    expect(printed.results.map((r) => [r.strategy, r.instances, r.verdict, r.runs[0]!.rows])).toEqual([
      ['record-lock', 1, 'EXACT', 40],
      ['lua', 1, 'EXACT', 40],
      ['record-lock', 2, 'EXACT', 40],
      ['lua', 2, 'EXACT', 40],
    ]);
    expect(printed.baselines.map((b) => b.instances)).toEqual([1, 2]);
    expect(printed.baselines.every((b) => b.throughput > 0)).toBe(true);
    expect(printed.results.every((r) => r.helloRatio! > 0 && r.hello!.throughput > 0)).toBe(true);
    expect(printed.results.map((r) => r.drainMs === undefined)).toEqual([true, false, true, false]);
  });

  it('writes an HTML report that draws its charts in Chromium with the numbers of the JSON', async () => {
    const report = JSON.parse(stdout) as BenchReport;
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(`file://${join(dir, 'r.html')}`);
      const embedded = JSON.parse((await page.locator('#bench-report').textContent()) ?? 'null');
      expect(embedded).toEqual(report);
      for (const [chart, value] of [
        ['throughput', (r: BenchReport['results'][number]) => r.throughput],
        ['p99', (r: BenchReport['results'][number]) => r.latency.p99],
      ] as const) {
        const bars = await page.locator(`#chart-${chart} rect.bar`).evaluateAll((rects) =>
          rects.map((rect) => ({
            strategy: rect.getAttribute('data-strategy'),
            value: Number(rect.getAttribute('data-value')),
            width: rect.getBoundingClientRect().width,
          })),
        );
        expect(bars.map((bar) => [bar.strategy, bar.value])).toEqual(report.results.map((r) => [r.strategy, value(r)]));
        expect(bars.every((bar) => bar.width > 0)).toBe(true);
      }
      const points = await page.locator('#chart-scale circle.point').evaluateAll((circles) =>
        circles.map((circle) => [circle.getAttribute('data-strategy'), Number(circle.getAttribute('data-instances')), Number(circle.getAttribute('data-value'))]),
      );
      expect(points.sort()).toEqual(report.results.map((r) => [r.strategy, r.instances, r.throughput]).sort());
      expect(await page.locator('#verdicts tr[data-strategy]').count()).toBe(report.results.length);
      expect(await page.locator('#outcome').textContent()).toContain('Every strategy meant to be exact was EXACT');
    } finally {
      await browser.close();
    }
  });
});

describe('the bench in direct mode', () => {
  it('calls each strategy in-process and still verifies in MySQL', async () => {
    const settings = {
      mode: 'direct' as const,
      strategies: ['unsafe', 'mutex', 'lua'] as const,
      instances: [1],
      users: 1000,
      requestsPerUser: 1,
      quantity: 100,
      concurrency: 200,
      thinkMs: 0,
      repeat: 1,
      lockWaitMs: config.LOCK_WAIT_MS,
      lockLeaseMs: config.LOCK_LEASE_MS,
      lockRetryDelayMs: config.LOCK_RETRY_DELAY_MS,
      mysqlPoolSize: config.MYSQL_POOL_SIZE,
    };
    const report = await runBench({ settings: { ...settings, strategies: [...settings.strategies] }, config, floors: false, progress: false });
    expect(report.results.map((r) => [r.strategy, r.expected, r.verdict])).toEqual([
      ['unsafe', 'OVER-ISSUED', 'OVER-ISSUED'],
      ['mutex', 'EXACT', 'EXACT'],
      ['lua', 'EXACT', 'EXACT'],
    ]);
    expect(report.ok).toBe(true);
  });
});

describe('the verdict', () => {
  async function couponWithRows(quantity: number, users: number[]) {
    const coupon = await createCoupon(lab, { title: 'verdict', totalQuantity: quantity, discountAmount: 0, minAvailableAmount: 0, issueStartAt: null, issueEndAt: null });
    if (users.length) await lab.db('coupon_issues').insert(users.map((user_id) => ({ coupon_id: coupon.id, user_id, issued_at: new Date() })));
    return coupon.id;
  }
  const answers = (success: number, soldOut: number) => ({ success, soldOut, alreadyIssued: 0, errors: {} });

  it.each([
    ['EXACT', 3, [1, 2, 3], answers(3, 5), [1, 2, 3]],
    ['OVER-ISSUED', 2, [1, 2, 3], answers(3, 5), [1, 2, 3]],
    ['LOST', 3, [1, 2], answers(3, 0), [1, 2, 3]],
    ['UNDER-ISSUED', 3, [1, 2], answers(2, 5), [1, 2]],
    ['REVOKED', 2, [1, 2], answers(3, 5), [1, 2, 3]],
  ] as const)('is %s when MySQL holds what the case describes', async (verdict, quantity, held, told, succeeded) => {
    const couponId = await couponWithRows(quantity, [...held]);
    if (verdict === 'REVOKED') {
      await lab.db('coupon_revocations').insert({ coupon_id: couponId, user_id: 3, accepted_at: new Date(), reason: 'no place left' });
    }
    const found = await verifyCoupon(lab.db, couponId, quantity, told, succeeded);
    expect(found.verdict).toBe(verdict);
  });
});
