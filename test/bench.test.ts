import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BenchReport, BenchSettings } from '../bench/report.js';
import { benchDatabases } from '../bench/store.js';
import type { StrategyName } from '../src/strategies/index.js';
import { runBench } from '../bench/run-bench.js';
import { verifyCoupon } from '../lab-client/verdict.js';
import { createCoupon } from '../src/core/coupon-service.js';
import { deleteKeysWithPrefix } from '../src/core/redis.js';
import { createLab, type Lab } from '../src/lab.js';
import type { Page } from 'playwright-core';
import { valueAxis } from '../bench/output/chart-axis.js';
import { int, ms } from '../bench/output/format.js';
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
  let stderr: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coupon-lab-bench-'));
    const env = { ...process.env, MYSQL_URL: config.MYSQL_URL, REDIS_KEY_PREFIX: config.REDIS_KEY_PREFIX };
    const args = ['bench', '--strategy', 'record-lock,lua', '--users', '400', '--quantity', '40', '--instances', '1,2', '--floors'];
    // Into folders that do not exist yet: the bench creates them.
    const files = ['--out', join(dir, 'json', 'r.json'), '--report', join(dir, 'html', 'today', 'r.html')];
    ({ stdout, stderr } = await run(...cliCommandLine([...args, '--json', ...files]), { env }));
  }, 120_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('prints JSON a script can parse, the same report it writes with --out, and exits 0', async () => {
    const printed = JSON.parse(stdout) as BenchReport;
    expect(JSON.parse(await readFile(join(dir, 'json', 'r.json'), 'utf8'))).toEqual(printed);
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
    expect(Object.keys(printed.floors).sort()).toEqual(['bulkInsertRowsPerS', 'consumerDrainRowsPerS', 'luaScriptPerS', 'recordLockTxPerS']);
    expect(Object.values(printed.floors).every((perS) => perS > 0)).toBe(true);
  });

  it("counts each run's Redis commands and retries: lua runs its script once per request at least, nothing retries", () => {
    const printed = JSON.parse(stdout) as BenchReport;
    for (const result of printed.results.filter((r) => r.strategy === 'lua')) expect(result.redisCommandsPerRequest).toBeGreaterThanOrEqual(1);
    expect(printed.results.map((r) => r.retriesPerSuccess)).toEqual([0, 0, 0, 0]);
    expect(printed.settings.redisCluster).toBe(false);
  });

  it("counts each run's MySQL statements: record-lock's every request is a transaction of three at least (BEGIN, SELECT … FOR UPDATE, COMMIT or ROLLBACK)", () => {
    const printed = JSON.parse(stdout) as BenchReport;
    for (const result of printed.results.filter((r) => r.strategy === 'record-lock')) expect(result.mysqlQueriesPerRequest).toBeGreaterThanOrEqual(3);
  });

  it('says how many were told sold out while places remained: none, for two exact strategies', () => {
    const printed = JSON.parse(stdout) as BenchReport;
    expect(printed.results.map((r) => [r.strategy, r.instances, r.soldOutWhileAvailable])).toEqual([
      ['record-lock', 1, 0],
      ['lua', 1, 0],
      ['record-lock', 2, 0],
      ['lua', 2, 0],
    ]);
    expect(printed.results.every((r) => r.runs.every((run) => run.answers.soldOut === 360))).toBe(true);
  });

  it('worked in a database and Redis keys of its own, and removed both at the end', async () => {
    expect(await benchDatabases(config)).toEqual([]);
    expect(await lab.redis.keys(`${config.REDIS_KEY_PREFIX}bench:*`)).toEqual([]);
  });

  /** The report opened in headless Chromium, and the JSON the bench printed. */
  async function withReport(check: (page: Page, report: BenchReport) => Promise<void>): Promise<void> {
    const report = JSON.parse(stdout) as BenchReport;
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(`file://${join(dir, 'html', 'today', 'r.html')}`);
      await check(page, report);
    } finally {
      await browser.close();
    }
  }

  /** Each number cell of a table: its exact value and the text shown, by row key and column key. */
  function numberCells(page: Page, selector: string, rowKey: string) {
    return page.locator(`${selector} td[data-value]`).evaluateAll(
      (cells, key) =>
        cells.map((cell) => ({
          row: cell.parentElement!.getAttribute(key),
          key: cell.getAttribute('data-key'),
          value: Number(cell.getAttribute('data-value')),
          text: cell.textContent,
        })),
      rowKey,
    );
  }

  it('shows the /hello baseline and the floors in the HTML report with the numbers of the JSON, as the terminal writes them', async () => {
    await withReport(async (page, report) => {
      const baselines = await numberCells(page, '#baselines', 'data-instances');
      const expected = report.baselines.flatMap((b) => [
        { row: String(b.instances), key: 'throughput', value: b.throughput, text: int(b.throughput) },
        { row: String(b.instances), key: 'p50', value: b.latency.p50, text: ms(b.latency.p50) },
        { row: String(b.instances), key: 'p99', value: b.latency.p99, text: ms(b.latency.p99) },
        { row: String(b.instances), key: 'max', value: b.latency.max, text: ms(b.latency.max) },
      ]);
      expect(baselines).toEqual(expected);
      const floors = await numberCells(page, '#floors', 'data-floor');
      expect(floors.map(({ row, value, text }) => [row, value, text]).sort()).toEqual(
        Object.entries(report.floors)
          .map(([key, perS]) => [key, perS, int(perS)])
          .sort(),
      );
      const verdicts = await numberCells(page, '#verdicts', 'data-strategy');
      const throughputs = verdicts.filter((cell) => cell.key === 'throughput');
      expect(throughputs.map(({ row, value, text }) => [row, value, text])).toEqual(report.results.map((r) => [r.strategy, r.throughput, int(r.throughput)]));
      const perRequest = (key: 'mysqlQueriesPerRequest' | 'soldOutWhileAvailable') =>
        verdicts.filter((cell) => cell.key === key).map(({ row, value }) => [row, value]);
      expect(perRequest('mysqlQueriesPerRequest')).toEqual(report.results.map((r) => [r.strategy, r.mysqlQueriesPerRequest]));
      expect(perRequest('soldOutWhileAvailable')).toEqual(report.results.map((r) => [r.strategy, r.soldOutWhileAvailable]));
    });
  });

  it('explains its bar colours: each bar has the colour its protection has in the legend', async () => {
    await withReport(async (page, report) => {
      const legend = await page
        .locator('#legend [data-protection]')
        .evaluateAll((items) =>
          items.map((item) => [item.getAttribute('data-protection'), getComputedStyle(item.querySelector('.swatch')!).backgroundColor, item.textContent]),
        );
      expect(legend.map(([protection]) => protection)).toEqual(['none', 'process', 'lease', 'global']);
      const swatch = new Map(legend.map(([protection, colour]) => [protection, colour]));
      const fills = await page.locator('#chart-throughput rect.bar').evaluateAll((rects) => rects.map((rect) => getComputedStyle(rect).fill));
      expect(fills).toEqual(report.results.map((r) => swatch.get(r.protection)));
    });
  });

  it('shows its progress on stderr without a terminal: one labelled line per run, and no warning', () => {
    const number = '[\\d,.]+';
    for (const [strategy, processes] of [
      ['record-lock', '1 process'],
      ['lua', '1 process'],
      ['record-lock', '2 processes'],
      ['lua', '2 processes'],
    ]) {
      const drain = strategy === 'lua' ? `; drain… ${number} ms` : '';
      const line = `bench: ${strategy}, ${processes}, run 1/1: GET /hello… ${number} req/s; 400 users for 40 coupons… ${number} req/s${drain}`;
      expect(stderr).toMatch(new RegExp(`^${line}$`, 'm'));
    }
    expect(stderr).not.toMatch(/Warning|\[\]/);
  });

  it('writes an HTML report that draws its charts in Chromium with the numbers of the JSON', async () => {
    await withReport(async (page, report) => {
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
      const points = await page
        .locator('#chart-scale .point')
        .evaluateAll((marks) =>
          marks.map((mark) => [mark.getAttribute('data-strategy'), Number(mark.getAttribute('data-instances')), Number(mark.getAttribute('data-value'))]),
        );
      expect(points.sort()).toEqual(report.results.map((r) => [r.strategy, r.instances, r.throughput]).sort());
      // Every point inside the plot, on an axis that starts and ends near the data, not decades away.
      const plot = page.locator('#chart-scale [data-axis]');
      const attribute = async (name: string) => Number(await plot.getAttribute(name));
      const [lo, hi, top, bottom] = [await attribute('data-lo'), await attribute('data-hi'), await attribute('data-top'), await attribute('data-bottom')];
      const throughputs = report.results.map((r) => r.throughput);
      expect(lo).toBeLessThanOrEqual(Math.min(...throughputs));
      expect(hi).toBeGreaterThanOrEqual(Math.max(...throughputs));
      expect(hi).toBeLessThan(Math.max(...throughputs) * 2);
      const ys = await page
        .locator('#chart-scale .point')
        .evaluateAll((marks) => marks.map((mark) => (mark as SVGGraphicsElement).getBBox()).map((box) => box.y + box.height / 2));
      expect(ys.every((y) => y >= top && y <= bottom)).toBe(true);
      expect(await page.locator('#verdicts tr[data-strategy]').count()).toBe(report.results.length);
      expect(await page.locator('#outcome').textContent()).toContain('Every strategy meant to be exact was EXACT');
    });
  });
});

describe("the scale chart's axis", () => {
  it('spans the data, not the decades around it: a log axis of 200–3,000 for 285–2,880', () => {
    const axis = valueAxis([285, 1_120, 2_880]);
    expect({ kind: axis.kind, lo: axis.lo, hi: axis.hi, ticks: axis.ticks }).toEqual({
      kind: 'log',
      lo: 200,
      hi: 3_000,
      ticks: [200, 300, 500, 1_000, 2_000, 3_000],
    });
    expect([axis.at(200), axis.at(3_000)]).toEqual([0, 1]);
  });

  it('is linear from 0 when the data spread little', () => {
    const axis = valueAxis([900, 1_100]);
    expect({ kind: axis.kind, lo: axis.lo, hi: axis.hi, ticks: axis.ticks }).toEqual({ kind: 'linear', lo: 0, hi: 1_200, ticks: [0, 300, 600, 900, 1_200] });
    expect(axis.at(600)).toBe(0.5);
  });
});

/** Settings of a bench in direct mode: each strategy called in this process, no HTTP. */
function directSettings(strategies: StrategyName[], crowd: { users: number; quantity: number }): BenchSettings {
  return {
    mode: 'direct',
    strategies,
    instances: [1],
    ...crowd,
    requestsPerUser: 1,
    concurrency: 200,
    thinkMs: 0,
    repeat: 1,
    redisCluster: false,
    lockWaitMs: config.LOCK_WAIT_MS,
    lockLeaseMs: config.LOCK_LEASE_MS,
    lockRetryDelayMs: config.LOCK_RETRY_DELAY_MS,
    mysqlPoolSize: config.MYSQL_POOL_SIZE,
  };
}

describe('the bench in direct mode', () => {
  it('calls each strategy in-process and still verifies in MySQL', async () => {
    const report = await runBench({ settings: directSettings(['unsafe', 'mutex', 'lua'], { users: 1000, quantity: 100 }), config, floors: false });
    expect(report.results.map((r) => [r.strategy, r.expected, r.verdict])).toEqual([
      ['unsafe', 'OVER-ISSUED', 'OVER-ISSUED'],
      ['mutex', 'EXACT', 'EXACT'],
      ['lua', 'EXACT', 'EXACT'],
    ]);
    expect(report.ok).toBe(true);
  });
});

describe('two benches on one server at once', () => {
  it('each run in a namespace of its own: neither wipes the other, and both leave nothing behind', async () => {
    const settings = directSettings(['record-lock', 'lua'], { users: 400, quantity: 40 });
    // Before runs had namespaces, the second to start dropped the first one's database under it.
    const reports = await Promise.all([runBench({ settings, config, floors: false }), runBench({ settings, config, floors: false })]);
    for (const report of reports) {
      expect(report.results.map((r) => [r.strategy, r.verdict, r.runs[0]!.rows])).toEqual([
        ['record-lock', 'EXACT', 40],
        ['lua', 'EXACT', 40],
      ]);
    }
    expect(await benchDatabases(config)).toEqual([]);
    expect(await lab.redis.keys(`${config.REDIS_KEY_PREFIX}bench:*`)).toEqual([]);
  });
});

describe('the verdict', () => {
  async function couponWithRows(quantity: number, users: number[]) {
    const coupon = await createCoupon(lab, {
      title: 'verdict',
      totalQuantity: quantity,
      discountAmount: 0,
      minAvailableAmount: 0,
      issueStartAt: null,
      issueEndAt: null,
    });
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
