import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BenchReport, BenchSettings, HelloResult } from '../bench/report.js';
import { benchDatabases } from '../bench/store.js';
import type { StrategyName } from '../src/strategies/index.js';
import { runBench } from '../bench/run-bench.js';
import { verifyCoupon } from '../lab-client/verdict.js';
import { createCoupon } from '../src/core/coupon-service.js';
import { deleteKeysWithPrefix } from '../src/core/redis.js';
import { createLab, type Lab } from '../src/lab.js';
import type { Page } from 'playwright-core';
import { valueAxis } from '../bench/output/chart-axis.js';
import { int, micros, ms } from '../bench/output/format.js';
import { cliCommandLine } from '../src/project-paths.js';
import { cpuMsBetween, readCpu } from '../bench/server-cpu.js';
import { renderHtml } from '../bench/output/render-html.js';
import { STRATEGY_NAMES } from '../src/strategies/names.js';
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
    const files = ['--out', join(dir, 'json', 'r.json'), '--report', join(dir, 'html', 'today', 'r.html'), '--markdown', join(dir, 'results', 'bench.md')];
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
    const { bareHello, ...perSecond } = printed.floors;
    expect(Object.keys(perSecond).sort()).toEqual(['bulkInsertRowsPerS', 'consumerDrainRowsPerS', 'luaScriptPerS', 'recordLockTxPerS']);
    expect(Object.values(perSecond).every((perS) => perS > 0)).toBe(true);
    expect(bareHello!.throughput).toBeGreaterThan(0);
  });

  it("reports the server's CPU per request for /hello, bare node:http and each strategy, each issue costing its server more than a /hello", () => {
    const printed = JSON.parse(stdout) as BenchReport;
    expect(printed.floors.bareHello!.serverCpuUsPerRequest).toBeGreaterThan(0);
    expect(printed.baselines.every((b) => b.serverCpuUsPerRequest! > 0)).toBe(true);
    for (const result of printed.results) {
      expect(result.runs.every((run) => run.serverCpuMs! > 0)).toBe(true);
      expect(result.helloCpuRatio).toBeGreaterThan(1);
      expect(result.helloCpuRatio).toBeCloseTo(result.serverCpuUsPerRequest! / result.hello!.serverCpuUsPerRequest!, 0);
    }
  });

  it("counts each run's Redis commands and retries: lua runs its script once per request at least, nothing retries", () => {
    const printed = JSON.parse(stdout) as BenchReport;
    for (const result of printed.results.filter((r) => r.strategy === 'lua')) expect(result.redisCommandsPerRequest).toBeGreaterThanOrEqual(1);
    expect(printed.results.map((r) => r.retriesPerSuccess)).toEqual([0, 0, 0, 0]);
    expect(printed.settings.redisCluster).toBe(false);
  });

  it('writes with --markdown a results record: date, machine, the command, the commit, the baselines and the table of the JSON', async () => {
    const printed = JSON.parse(stdout) as BenchReport;
    const record = await readFile(join(dir, 'results', 'bench.md'), 'utf8');
    expect(record).toMatch(new RegExp(`^# Bench, ${printed.startedAt.slice(0, 10)}\n`));
    expect(record).toContain(`- Machine: ${printed.machine.cpus} × ${printed.machine.cpuModel}`);
    expect(record).toContain(`; load average ${printed.machine.loadAverage} as the run began`);
    expect(record).toContain(`- Services: Redis ${printed.machine.redis}, MySQL ${printed.machine.mysql}`);
    expect(record).toContain('- Command: `coupon-lab bench --strategy record-lock,lua --users 400 --quantity 40 --instances 1,2 --floors --json --out ');
    expect(printed.commit!.hash).toMatch(/^[0-9a-f]{7,}$/);
    expect(record).toContain(`- Commit: \`${printed.commit!.hash}\``);
    expect(record).toContain(`- GET /hello with 1 process: ${int(printed.baselines[0]!.throughput)} req/s`);
    expect(record).toContain('GET /hello on bare node:http');
    const rows = record.split('\n').filter((line) => /^\| (lua|record-lock) \|/.test(line));
    expect(rows.map((row) => row.split(' | ').slice(0, 2))).toEqual(printed.results.map((r) => [`| ${r.strategy}`, String(r.instances)]));
    for (const [i, r] of printed.results.entries()) expect(rows[i]).toContain(` ${int(r.throughput)} |`);
  });

  it('refuses, before it runs, to write a results record over a file that exists', async () => {
    const existing = join(dir, 'results', 'bench.md');
    const before = await readFile(existing, 'utf8');
    const env = { ...process.env, MYSQL_URL: config.MYSQL_URL, REDIS_KEY_PREFIX: config.REDIS_KEY_PREFIX };
    const refused = await run(...cliCommandLine(['bench', '--strategy', 'lua', '--users', '10', '--markdown', existing]), { env }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim()).toBe(`cannot write ${existing}: it exists, and a results record is written once: name a new file`);
    expect(await readFile(existing, 'utf8')).toBe(before);
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

  it('shows the /hello baseline, bare and through Express, and the floors in the HTML report with the numbers of the JSON, as the terminal writes them', async () => {
    await withReport(async (page, report) => {
      const baselines = await numberCells(page, '#baselines', 'data-instances');
      const cells = (row: string | null, h: HelloResult) => [
        { row, key: 'throughput', value: h.throughput, text: int(h.throughput) },
        { row, key: 'p50', value: h.latency.p50, text: ms(h.latency.p50) },
        { row, key: 'p99', value: h.latency.p99, text: ms(h.latency.p99) },
        { row, key: 'max', value: h.latency.max, text: ms(h.latency.max) },
        { row, key: 'serverCpuUsPerRequest', value: h.serverCpuUsPerRequest, text: micros(h.serverCpuUsPerRequest) },
      ];
      expect(baselines).toEqual([...report.baselines.flatMap((b) => cells(String(b.instances), b)), ...cells(null, report.floors.bareHello!)]);
      expect(await page.locator('#baselines tr[data-server="bare"] td').first().textContent()).toBe('bare node:http');
      const share = Number(await page.locator('#framework-share').getAttribute('data-value'));
      expect(share).toBeCloseTo(report.baselines[0]!.serverCpuUsPerRequest! - report.floors.bareHello!.serverCpuUsPerRequest!, 6);
      const floors = await numberCells(page, '#floors', 'data-floor');
      const { bareHello: _shownWithTheBaselines, ...perSecond } = report.floors;
      expect(floors.map(({ row, value, text }) => [row, value, text]).sort()).toEqual(
        Object.entries(perSecond)
          .map(([key, perS]) => [key, perS, int(perS)])
          .sort(),
      );
      const verdicts = await numberCells(page, '#verdicts', 'data-strategy');
      const throughputs = verdicts.filter((cell) => cell.key === 'throughput');
      expect(throughputs.map(({ row, value, text }) => [row, value, text])).toEqual(report.results.map((r) => [r.strategy, r.throughput, int(r.throughput)]));
      const cpu = verdicts.filter((cell) => cell.key === 'serverCpuUsPerRequest');
      expect(cpu.map(({ row, value, text }) => [row, value, text])).toEqual(
        report.results.map((r) => [r.strategy, r.serverCpuUsPerRequest, micros(r.serverCpuUsPerRequest)]),
      );
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
      expect(legend.map(([protection]) => protection)).toEqual(['none', 'process', 'lease', 'fault-free', 'global']);
      const swatch = new Map(legend.map(([protection, colour]) => [protection, colour]));
      const fills = await page.locator('#chart-throughput rect.bar').evaluateAll((rects) => rects.map((rect) => getComputedStyle(rect).fill));
      expect(fills).toEqual(report.results.map((r) => swatch.get(r.protection)));
    });
  });

  it('shows its progress on stderr without a terminal: one labelled line per run, where it is overall and, after the first, the time left; no warning', () => {
    const number = '[\\d,.]+';
    for (const [k, strategy, processes] of [
      [1, 'record-lock', '1 process'],
      [2, 'lua', '1 process'],
      [3, 'record-lock', '2 processes'],
      [4, 'lua', '2 processes'],
    ] as const) {
      const drain = strategy === 'lua' ? `; drain… ${number} ms` : '';
      const where = `run ${k} of 4${k > 1 ? ', about \\d+ (s|min|min \\d+ s) left' : ''}`;
      const line = `bench: ${strategy}, ${processes} \\(${where}\\): GET /hello… ${number} req/s; 400 users for 40 places… ${number} req/s${drain}`;
      expect(stderr).toMatch(new RegExp(`^${line}$`, 'm'));
    }
    expect(stderr).not.toMatch(/Warning|\[\]/);
  });

  it('says on stderr where it wrote each file, so that --json keeps stdout to the report', () => {
    expect(stderr).toContain(`\nwrote ${join(dir, 'json', 'r.json')}\nwrote ${join(dir, 'html', 'today', 'r.html')}\n`);
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

/** A report of `names` over 1 and 2 processes, as the bench would return it; `overIssuing` over-issue with 2. */
function reportOf(names: string[], overIssuing: string[]): BenchReport {
  const latency = { p50: 10, p90: 20, p99: 30, max: 40 };
  const settings = { ...directSettings([], { users: 1000, quantity: 100 }), mode: 'http' as const, instances: [1, 2], strategies: names as StrategyName[] };
  const results = [1, 2].flatMap((instances) =>
    names.map((name, i) => {
      const overIssued = instances === 2 && overIssuing.includes(name) ? 3 + i : 0;
      const run = {
        rows: 100 + overIssued,
        overIssued,
        duplicated: 0,
        lost: 0,
        sent: 1000,
        answers: { success: 100 + overIssued, soldOut: 900, alreadyIssued: 0, errors: {} },
      };
      const verdict = overIssued ? ('OVER-ISSUED' as const) : ('EXACT' as const);
      return {
        strategy: name as StrategyName,
        instances,
        protection: 'global' as const,
        expected: verdict,
        verdict,
        ok: true,
        throughput: 500 * (i + 1) * instances,
        latency,
        redisCommandsPerRequest: 1,
        retriesPerSuccess: 0,
        runs: [run],
      };
    }),
  );
  const machine = { cpus: 2, cpuModel: 'test', memoryGiB: 1, loadAverage: 0, os: 'test', node: 'v20', redis: '7', mysql: '10' };
  return {
    version: 1,
    startedAt: '2026-12-06T00:00:00.000Z',
    wallMs: 1,
    machine,
    settings,
    baselines: [],
    results,
    floors: {},
    ok: true,
  } as unknown as BenchReport;
}

describe('the HTML report of a bench of 16 strategies over 1 and 2 processes, in Chromium', () => {
  const names = [...STRATEGY_NAMES, 'queue-broker', 'rabbitmq-stream', 'nats-jetstream-queue', 'optimistic-version-check'];
  const overIssuing = ['unsafe', 'mutex-in-tx', 'mutex', 'spin-lock'];

  async function withPage(check: (page: Page) => Promise<void>): Promise<void> {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.setContent(renderHtml(reportOf(names, overIssuing)));
      await check(page);
    } finally {
      await browser.close();
    }
  }

  it('never clips the label of a bar, however long the strategy name', async () => {
    await withPage(async (page) => {
      const lefts = await page
        .locator('#chart-throughput text[text-anchor="end"]')
        .evaluateAll((labels) => labels.map((label) => (label as SVGGraphicsElement).getBBox().x));
      expect(lefts).toHaveLength(names.length * 2);
      expect(Math.min(...lefts)).toBeGreaterThanOrEqual(0);
    });
  });

  it('gives every strategy line a look of its own, and never clips a legend label', async () => {
    await withPage(async (page) => {
      const svg = page.locator('#chart-scale');
      const [width, height] = [Number(await svg.getAttribute('width')), Number(await svg.getAttribute('height'))];
      const keys = await page.locator('#chart-scale g.key').evaluateAll((groups) =>
        groups.map((group) => {
          const line = group.querySelector('line')!;
          const box = (group.querySelector('text') as SVGGraphicsElement).getBBox();
          return {
            name: group.getAttribute('data-strategy'),
            look: [line.getAttribute('stroke'), line.getAttribute('stroke-dasharray'), group.querySelector('[data-shape]')!.getAttribute('data-shape')].join(
              ' ',
            ),
            text: group.querySelector('text')!.textContent,
            right: box.x + box.width,
            bottom: box.y + box.height,
          };
        }),
      );
      expect(keys.map((key) => key.name)).toEqual(names);
      expect(new Set(keys.map((key) => key.look)).size).toBe(names.length);
      for (const key of keys) {
        expect(key.text).toBe(key.name);
        expect(key.right).toBeLessThanOrEqual(width);
        expect(key.bottom).toBeLessThanOrEqual(height);
      }
    });
  });

  it('draws the over-issued chart with a bar for each strategy that over-issued only, and names the others', async () => {
    await withPage(async (page) => {
      const bars = await page.locator('#chart-over-issued rect.bar').evaluateAll((rects) => rects.map((rect) => rect.getAttribute('data-strategy')));
      expect(bars).toEqual(overIssuing);
      const box = await page.locator('#chart-over-issued').boundingBox();
      expect(box!.height).toBeLessThanOrEqual(overIssuing.length * 26 + 10);
      const none = await page.locator('#over-issued-none').textContent();
      expect(none).toContain('record-lock ×2');
      expect(none).not.toContain('spin-lock ×2');
    });
  });
});

describe("a server's CPU, read from /proc", () => {
  it('sums every process below the one read: a child that works while its parent waits is counted', async () => {
    // Until the child's own CPU time reaches 300 ms: on a busy machine a stretch of wall clock can hold far less.
    const child =
      "const cpu = () => process.cpuUsage().user + process.cpuUsage().system; while (cpu() < 300_000); console.log('worked'); setInterval(() => {}, 60_000);";
    const parentCode = `require('node:child_process').spawn(process.execPath, ['-e', ${JSON.stringify(child)}], { stdio: 'inherit' }); setInterval(() => {}, 60_000);`;
    const parent = spawn(process.execPath, ['-e', parentCode], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
    try {
      const before = readCpu(parent.pid);
      await once(createInterface({ input: parent.stdout }), 'line');
      // The parent alone uses a few tens of ms to start; its child 300 ms and more.
      expect(cpuMsBetween(before, readCpu(parent.pid))).toBeGreaterThan(300);
    } finally {
      process.kill(-parent.pid!, 'SIGKILL');
    }
  });

  it('counts a thread that started between two readings from its start, and none that ended as negative', () => {
    const before = new Map([
      [1, 5_000_000],
      [2, 9_000_000],
    ]);
    const after = new Map([
      [1, 7_000_000],
      [3, 1_000_000],
    ]);
    expect(cpuMsBetween(before, after)).toBe(3);
    expect(cpuMsBetween(before, undefined)).toBeUndefined();
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
    const report = await runBench({
      settings: directSettings(['unsafe', 'mutex', 'lua', 'incr-broker'], { users: 1000, quantity: 100 }),
      config,
      floors: false,
    });
    expect(report.results.map((r) => [r.strategy, r.expected, r.verdict])).toEqual([
      ['unsafe', 'OVER-ISSUED', 'OVER-ISSUED'],
      ['mutex', 'EXACT', 'EXACT'],
      ['lua', 'EXACT', 'EXACT'],
      // The broker's messages are written by a consumer of their own, which must run here too.
      ['incr-broker', 'EXACT', 'EXACT'],
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
