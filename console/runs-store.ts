import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FaultReport, FaultRun } from '../bench/faults/report.js';
import type { BenchReport } from '../bench/report.js';
import type { SavedRun, StoredReport } from './contract.js';

export interface StoredRun {
  id: string;
  stored: StoredReport;
}

/** A file name the store wrote or could have: no folder, no leading dot. */
const ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * The runs in one folder, one JSON file each: those the console saved, and any report the bench
 * or the fault bench wrote there with `--out`. Files that are not such a report are passed over.
 */
export class RunsStore {
  constructor(readonly folder: string) {}

  async save(stored: StoredReport): Promise<SavedRun> {
    await mkdir(this.folder, { recursive: true });
    const id = `${stored.report.startedAt.replace(/[:.]/g, '-')}-${stored.kind}`;
    await writeFile(join(this.folder, `${id}.json`), `${JSON.stringify(stored.report, null, 2)}\n`);
    return summary({ id, stored });
  }

  /** Every run, the newest first. */
  async all(): Promise<StoredRun[]> {
    const names = await readdir(this.folder).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [];
      throw error;
    });
    const ids = names.filter((name) => name.endsWith('.json')).map((name) => name.slice(0, -'.json'.length));
    const runs = await Promise.all(ids.map(async (id) => ({ id, stored: await this.read(id) })));
    return runs.filter((run): run is StoredRun => run.stored !== undefined).sort((a, b) => b.stored.report.startedAt.localeCompare(a.stored.report.startedAt));
  }

  async list(): Promise<SavedRun[]> {
    return (await this.all()).map(summary);
  }

  /** The run saved as `id`, or undefined if there is none (or it is not a report). */
  async read(id: string): Promise<StoredReport | undefined> {
    if (!ID.test(id)) return undefined;
    const text = await readFile(join(this.folder, `${id}.json`), 'utf8').catch(() => undefined);
    return text === undefined ? undefined : recognise(text);
  }
}

function recognise(text: string): StoredReport | undefined {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (json?.version !== 1 || typeof json.startedAt !== 'string') return undefined;
  if (Array.isArray(json.results) && typeof json.settings === 'object') return { kind: 'race', report: json as unknown as BenchReport };
  if (Array.isArray(json.runs)) return { kind: 'faults', report: json as unknown as FaultReport };
  return undefined;
}

export function summary({ id, stored }: StoredRun): SavedRun {
  const base = { id, kind: stored.kind, startedAt: stored.report.startedAt, ok: stored.report.ok };
  if (stored.kind === 'faults') {
    const runs = stored.report.runs;
    return {
      ...base,
      title: [...new Set(runs.map(faultLabel))].join(', ') || 'no run',
      verdicts: runs.map((run) => ({ label: faultRunLabel(run), verdict: run.verdict, ok: run.ok })),
    };
  }
  const { settings: s, results } = stored.report;
  const crowd = s.durationS
    ? `${s.durationS} s of fresh users`
    : `${n(s.users)} users${s.requestsPerUser > 1 ? ` × ${s.requestsPerUser}` : ''} for ${n(s.quantity)} places`;
  const processes = `${s.instances.join(', ')} process${s.instances.length === 1 && s.instances[0] === 1 ? '' : 'es'}`;
  const several = s.instances.length > 1;
  return {
    ...base,
    title: `${crowd}, ${processes}${s.repeat > 1 ? `, ${s.repeat} runs each` : ''}${s.mode === 'direct' ? ', direct' : ''}`,
    verdicts: results.map((r) => ({ label: several ? `${r.strategy} ×${r.instances}` : r.strategy, verdict: r.verdict, ok: r.ok })),
  };
}

export const faultLabel = (run: FaultRun): string => (run.variant ? `${run.fault} (${run.variant})` : run.fault);
const faultRunLabel = (run: FaultRun): string => `${run.strategy}${run.setting ? ` (${run.setting})` : ''} under ${faultLabel(run)}`;
const n = (value: number) => value.toLocaleString('en-US');
