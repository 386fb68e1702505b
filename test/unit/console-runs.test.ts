import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaultReport, FaultRun } from '../../bench/faults/report.js';
import type { BenchReport, StrategyResult } from '../../bench/report.js';
import type { StrategyEntry } from '../../console/contract.js';
import { decisionTable } from '../../console/decision.js';
import { RunsStore, type StoredRun } from '../../console/runs-store.js';

const machine = { loadAverage: 0, cpus: 2, cpuModel: 'test', memoryGiB: 4, os: 'linux', node: 'v20', redis: '7', mysql: 'MariaDB' };

function raceReport(startedAt: string, results: Partial<StrategyResult>[], durationS?: number): BenchReport {
  const crowd = { users: 400, requestsPerUser: 1, quantity: 50, concurrency: 100, ...(durationS ? { durationS } : {}) };
  const servers = { thinkMs: 0, lockWaitMs: 1, lockLeaseMs: 1, lockRetryDelayMs: 1, mysqlPoolSize: 1, redisCluster: false };
  return {
    version: 1,
    startedAt,
    wallMs: 1,
    machine,
    settings: { mode: 'http', strategies: [], instances: [1], repeat: 1, ...crowd, ...servers },
    baselines: [],
    results: results.map(
      (r) => ({ instances: 1, verdict: 'EXACT', ok: true, throughput: 100, latency: { p50: 1, p90: 2, p99: 3, max: 4 }, runs: [], ...r }) as StrategyResult,
    ),
    floors: {},
    ok: true,
  };
}

function faultReport(startedAt: string, runs: Partial<FaultRun>[]): FaultReport {
  return { version: 1, startedAt, wallMs: 1, machine, runs: runs.map((run) => ({ verdict: 'EXACT', ok: true, ...run }) as FaultRun), ok: true };
}

const strategies = ['unsafe', 'record-lock'].map((name) => ({
  name,
  protection: 'global',
  card: { steps: [], needs: `needs of ${name}`, pitfall: '' },
})) as unknown as StrategyEntry[];

describe("the console's saved runs", () => {
  let folder: string;
  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'coupon-lab-runs-'));
  });
  afterAll(() => rm(folder, { recursive: true, force: true }));

  it("lists the bench's and the fault bench's reports, newest first, and nothing else", async () => {
    const store = new RunsStore(folder);
    const race = await store.save({ kind: 'race', report: raceReport('2026-01-01T10:00:00.000Z', [{ strategy: 'unsafe', verdict: 'OVER-ISSUED' }]) });
    const faults = await store.save({ kind: 'faults', report: faultReport('2026-01-02T10:00:00.000Z', [{ fault: 'server-kill', strategy: 'record-lock' }]) });
    await writeFile(join(folder, 'bench-by-hand.json'), JSON.stringify(raceReport('2025-12-31T10:00:00.000Z', [{ strategy: 'lua' }])));
    await writeFile(join(folder, 'package.json'), '{"name":"not a report"}');
    await writeFile(join(folder, 'broken.json'), '{');
    const listed = await store.list();
    expect(listed.map((run) => run.id)).toEqual([faults.id, race.id, 'bench-by-hand']);
    expect(listed[1]).toEqual({
      id: '2026-01-01T10-00-00-000Z-race',
      kind: 'race',
      startedAt: '2026-01-01T10:00:00.000Z',
      ok: true,
      title: '400 users for 50 places, 1 process',
      verdicts: [{ label: 'unsafe', verdict: 'OVER-ISSUED', ok: true }],
    });
    expect(listed[0]!.verdicts).toEqual([{ label: 'record-lock under server-kill', verdict: 'EXACT', ok: true }]);
  });

  it('reads a run by its id, and no file outside its folder', async () => {
    const store = new RunsStore(folder);
    expect((await store.read('bench-by-hand'))?.kind).toBe('race');
    expect(await store.read('../bench-by-hand')).toBeUndefined();
    expect(await store.read('.hidden')).toBeUndefined();
    expect(await store.read('missing')).toBeUndefined();
  });
});

describe("the console's decision table", () => {
  const run = (id: string, stored: StoredRun['stored']): StoredRun => ({ id, stored });
  const runs = [
    run('old', { kind: 'race', report: raceReport('2026-01-01T00:00:00.000Z', [{ strategy: 'unsafe', verdict: 'OVER-ISSUED', throughput: 1 }]) }),
    run('new', {
      kind: 'race',
      report: raceReport('2026-01-02T00:00:00.000Z', [
        { strategy: 'unsafe', verdict: 'EXACT', throughput: 2 },
        { strategy: 'unsafe', instances: 2 },
      ]),
    }),
    run('sustained', { kind: 'race', report: raceReport('2026-01-03T00:00:00.000Z', [{ strategy: 'unsafe', verdict: 'EXACT', throughput: 3 }], 5) }),
    run('faults-old', {
      kind: 'faults',
      report: faultReport('2026-01-01T00:00:00.000Z', [{ fault: 'server-kill', strategy: 'record-lock', verdict: 'LOST', ok: false }]),
    }),
    run('faults-new', {
      kind: 'faults',
      report: faultReport('2026-01-02T00:00:00.000Z', [
        { fault: 'server-kill', strategy: 'record-lock' },
        { fault: 'redis-restart', variant: 'appendfsync always', strategy: 'record-lock' },
      ]),
    }),
  ];

  it('takes each figure from the latest flash crowd or fault run that has it, and names that run', () => {
    const [unsafe, recordLock] = decisionTable(runs, strategies);
    expect(unsafe!.oneProcess).toEqual({ value: { instances: 1, verdict: 'EXACT', ok: true, throughput: 2, p99: 3 }, runId: 'new' });
    expect(unsafe!.processes?.runId).toBe('new');
    expect(unsafe!.needs).toBe('needs of unsafe');
    expect(recordLock!.oneProcess).toBeUndefined();
    expect(recordLock!.faults).toEqual([
      { label: 'redis-restart (appendfsync always)', run: { value: { verdict: 'EXACT', ok: true }, runId: 'faults-new' } },
      { label: 'server-kill', run: { value: { verdict: 'EXACT', ok: true }, runId: 'faults-new' } },
    ]);
  });
});
