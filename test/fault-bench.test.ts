import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaultReport } from '../bench/faults/report.js';
import { cliCommandLine } from '../src/project-paths.js';
import { launchChromium } from './support/browser.js';

const run = promisify(execFile);

/**
 * A fast subset of `npm run faults`, run as a user runs it: the two faults that outrun a lock's
 * lease, on the locks they separate, redis-lock with and without its watchdog. Everything it kills runs in private instances it starts.
 */
describe('npm run faults -- --fault slow-commit,process-pause --strategy redis-lock,redis-lock:watchdog,fenced-lock', () => {
  let dir: string;
  let report: FaultReport;
  let exitCode: number;
  let stderr: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coupon-lab-faults-report-'));
    const args = ['faults', '--fault', 'slow-commit,process-pause', '--strategy', 'redis-lock,redis-lock:watchdog,fenced-lock'];
    const files = ['--out', join(dir, 'faults.json'), '--report', join(dir, 'faults.html'), '--markdown', join(dir, 'results', 'faults.md')];
    const outcome = await run(...cliCommandLine([...args, '--json', ...files])).then(
      (result) => ({ ...result, code: 0 }),
      (error: { stdout: string; stderr: string; code: number }) => error,
    );
    report = JSON.parse(outcome.stdout) as FaultReport;
    stderr = outcome.stderr;
    exitCode = outcome.code;
  }, 180_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const verdict = (fault: string, strategy: string, setting?: string) =>
    report.runs.find((r) => r.fault === fault && r.strategy === strategy && r.setting === setting);

  it('shows redis-lock over-issuing when a commit outlasts its lease, and the watchdog keeping it exact', () => {
    expect(verdict('slow-commit', 'redis-lock')).toMatchObject({ verdict: 'OVER-ISSUED', ok: true });
    expect(verdict('slow-commit', 'redis-lock', 'watchdog')).toMatchObject({ verdict: 'EXACT', ok: true });
  });

  it('shows the watchdog over-issuing too once the process holding the lock is paused mid-commit', () => {
    expect(verdict('process-pause', 'redis-lock', 'watchdog')).toMatchObject({ verdict: 'OVER-ISSUED', ok: true });
    expect(verdict('process-pause', 'redis-lock', 'watchdog')?.notes).toContain('the paused server held the lock');
  });

  it('shows fenced-lock exact in the same runs, and no 500 anywhere', () => {
    for (const fault of ['slow-commit', 'process-pause']) expect(verdict(fault, 'fenced-lock')).toMatchObject({ verdict: 'EXACT', rows: 5 });
    expect(report.runs.map((r) => r.internalErrors)).toEqual(report.runs.map(() => 0));
    expect(report.ok).toBe(true);
    expect(exitCode).toBe(0);
  });

  it('writes with --out the report it prints, and says on stderr where it wrote each file', async () => {
    expect(JSON.parse(await readFile(join(dir, 'faults.json'), 'utf8'))).toEqual(report);
    expect(stderr).toMatch(
      new RegExp(`^wrote ${join(dir, 'faults.json')}\nwrote ${join(dir, 'faults.html')}\nwrote ${join(dir, 'results', 'faults.md')}\n$`, 'm'),
    );
  });

  it('writes with --markdown a results record: date, machine, the command, the commit, and the matrix of the JSON', async () => {
    const record = await readFile(join(dir, 'results', 'faults.md'), 'utf8');
    expect(record).toMatch(new RegExp(`^# Faults, ${report.startedAt.slice(0, 10)}\n`));
    expect(record).toContain(`- Machine: ${report.machine.cpus} × ${report.machine.cpuModel}`);
    expect(record).toContain(
      `- Command: \`coupon-lab faults --fault slow-commit,process-pause --strategy redis-lock,redis-lock:watchdog,fenced-lock --json --out ${join(dir, 'faults.json')}`,
    );
    expect(record).toMatch(new RegExp(`- Commit: \`${report.commit!.hash}\``));
    expect(record).toContain('| strategy | slow-commit | process-pause |');
    expect(record).toContain('| redis-lock (watchdog) | EXACT | OVER-ISSUED +');
  });

  it('writes an HTML report whose matrix shows, in Chromium, the verdicts of the JSON', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(`file://${join(dir, 'faults.html')}`);
      expect(JSON.parse((await page.locator('#fault-report').textContent()) ?? 'null')).toEqual(report);
      const cells = await page
        .locator('#matrix td[data-verdict]')
        .evaluateAll((tds) =>
          tds.map((td) => [td.getAttribute('data-strategy'), td.getAttribute('data-fault'), td.getAttribute('data-verdict'), getComputedStyle(td).color]),
        );
      const label = (r: FaultReport['runs'][number]) => (r.setting ? `${r.strategy} (${r.setting})` : r.strategy);
      expect(cells.map(([strategy, fault, shown]) => [strategy, fault, shown]).sort()).toEqual(report.runs.map((r) => [label(r), r.fault, r.verdict]).sort());
      // Exact and allowed-but-not-exact are told apart by colour, and neither is the colour of a failure.
      const colours = new Map(cells.map(([, , shown, colour]) => [shown, colour]));
      expect(colours.get('EXACT')).not.toBe(colours.get('OVER-ISSUED'));
      expect(await page.locator('#matrix td.bad').count()).toBe(0);
      // What the figures do not say, beside them as in the terminal: the pause's note among them.
      expect(await page.locator('#notes li').allTextContents()).toContain(
        `process-pause, redis-lock (watchdog): ${verdict('process-pause', 'redis-lock', 'watchdog')!.notes.join('; ')}`,
      );
    } finally {
      await browser.close();
    }
  });
});

/**
 * The faults of lua-buckets' own: a cluster master failing over to its replica (a private cluster
 * of three masters with a replica each), and a server killed with a transfer between buckets half
 * done. Exact, or what a Redis that lost acknowledged writes may show; never a 500.
 */
describe('npm run faults -- --fault cluster-failover,server-kill-in-fallback --strategy lua-buckets', () => {
  let report: FaultReport;
  beforeAll(async () => {
    const args = ['faults', '--fault', 'cluster-failover,server-kill-in-fallback', '--strategy', 'lua-buckets', '--json'];
    const outcome = await run(...cliCommandLine(args)).then(
      (result) => result,
      (error: { stdout: string }) => error,
    );
    report = JSON.parse(outcome.stdout) as FaultReport;
  }, 240_000);

  it('fails a master over to its replica under the crowd, and the coupon ends as the strategy allows, with no 500', () => {
    const [failover] = report.runs.filter((r) => r.fault === 'cluster-failover');
    expect(failover).toMatchObject({ strategy: 'lua-buckets', ok: true, internalErrors: 0 });
    expect(failover!.notes.join('\n')).toMatch(/killed; its replica served its slots \d+ ms later/);
    expect(failover!.rows).toBeLessThanOrEqual(failover!.quantity);
  });

  it('kills a server while places move between buckets, and the coupon still sells exactly its quantity', () => {
    const [killed] = report.runs.filter((r) => r.fault === 'server-kill-in-fallback');
    expect(killed).toMatchObject({ strategy: 'lua-buckets', verdict: 'EXACT', ok: true, internalErrors: 0, rows: 300 });
    expect(killed!.notes).toContain('once the crowd had finished: 0 transfers (0 places)');
  });
});
