import { execFile } from 'node:child_process';
import os from 'node:os';
import { promisify } from 'node:util';
import type { Lab } from '../src/lab.js';
import { PROJECT_ROOT } from '../src/project-paths.js';
import type { Commit, Machine } from './report.js';

/** The machine and services a run measured, so numbers are never read without their context. */
export async function describeMachine(lab: Lab): Promise<Machine> {
  const info = await lab.redis.info('server');
  const [[row]] = (await lab.db.raw('SELECT VERSION() AS version')) as [[{ version: string }]];
  const version = /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
  return {
    ...describeHost(),
    redis: 'nodes' in lab.redis ? `${version}, a cluster of ${lab.redis.nodes('master').length} masters` : version,
    mysql: row?.version ?? 'unknown',
  };
}

/** The machine alone, for a run that reached no service. */
export function describeHost(): Machine {
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    loadAverage: Math.round(os.loadavg()[0]! * 100) / 100,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    redis: 'not used',
    mysql: 'not used',
  };
}

/** The commit the lab runs from, and whether its tree holds changes besides; undefined without git (an image, a tarball). */
export async function describeCommit(): Promise<Commit | undefined> {
  const git = (...args: string[]) => promisify(execFile)('git', args, { cwd: PROJECT_ROOT }).then(({ stdout }) => stdout.trim());
  try {
    const [hash, status] = await Promise.all([git('rev-parse', '--short', 'HEAD'), git('status', '--porcelain')]);
    return { hash, dirty: status !== '' };
  } catch {
    return undefined;
  }
}

/** `{ commit }` to spread into a report, or nothing without git. */
export function withCommit(commit: Commit | undefined): { commit?: Commit } {
  return commit ? { commit } : {};
}
