import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { Tally } from '../lab-client/tally.js';
import { PROJECT_ROOT } from '../src/project-paths.js';
import type { Endpoint, GeneratorNumbers } from './report.js';

// From the project's root, not this module: compiled, it runs from dist/, where the locustfiles are not.
const LOCUSTFILES: Record<Endpoint, string> = {
  hello: join(PROJECT_ROOT, 'load-test', 'locustfile-hello.py'),
  issue: join(PROJECT_ROOT, 'load-test', 'locustfile-issue.py'),
};

/** Locust gets this long past its run time to start, stop and write its files before it is killed. */
const GRACE_MS = 60_000;

/** The `locust` executable on PATH, or undefined. */
export function findLocust(path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter).filter(Boolean)) {
    const candidate = join(dir, 'locust');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export interface LocustRun {
  executable: string;
  url: string;
  endpoint: Endpoint;
  users: number;
  spawnRate: number;
  durationS: number;
  /** Read by locustfile-issue.py: COUPON_ID, COUPON_STRATEGY, … */
  env?: Record<string, string>;
}

/** Locust's figures, and what its crowd was told: the answers by kind, and who was told yes. */
export interface LocustResult {
  numbers: GeneratorNumbers;
  told: Pick<Tally, 'answers' | 'successfulUsers'>;
}

/**
 * Runs Locust headless in a process of its own and returns its numbers: the totals
 * load-test/summary.py writes as JSON when Locust quits, rather than scraped from what it
 * prints. Throws (with the end of Locust's log) if it did not run.
 */
export async function runLocust(run: LocustRun): Promise<LocustResult> {
  const dir = await mkdtemp(join(tmpdir(), 'coupon-lab-locust-'));
  const summaryFile = join(dir, 'summary.json');
  const args = [
    ...['-f', LOCUSTFILES[run.endpoint], '--headless', '--only-summary'],
    ...['-u', String(run.users), '-r', String(run.spawnRate), '-t', `${run.durationS}s`, '-H', run.url],
    // Failed requests are counted in the numbers; a non-zero exit then means Locust itself failed.
    ...['--exit-code-on-error', '0'],
  ];
  try {
    const env = { ...process.env, ...run.env, COUPON_LAB_SUMMARY_FILE: summaryFile };
    const { code, log } = await execute(run.executable, args, env, run.durationS * 1000 + GRACE_MS);
    const result = code === 0 ? summarised(await readFile(summaryFile, 'utf8').catch(() => '')) : undefined;
    if (!result) {
      const why = code !== 0 ? `locust exited with ${code}` : 'locust completed no request';
      // Its error lines, if it logged any, say more than the summary table it prints last.
      const errors = log.filter((line) => /\/(ERROR|CRITICAL)\/|Error|Traceback/.test(line));
      throw new Error(`${why}; its log${errors.length ? "'s errors" : ' ends'}:\n${(errors.length ? errors : log).slice(-12).join('\n')}`);
    }
    return result;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs a command to its end, keeping the last lines it printed; killed after `timeoutMs`. */
async function execute(executable: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ code: number | null; log: string[] }> {
  const child = spawn(executable, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const log: string[] = [];
  const keep = (chunk: Buffer) => {
    log.push(
      ...chunk
        .toString()
        .split('\n')
        .filter((line) => line.trim()),
    );
    log.splice(0, Math.max(0, log.length - 200));
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const timer = setTimeout(() => {
    log.push(`(killed: still running ${timeoutMs / 1000} s after it started)`);
    child.kill('SIGKILL');
  }, timeoutMs);
  try {
    const [code] = (await once(child, 'close')) as [number | null];
    return { code, log };
  } finally {
    clearTimeout(timer);
  }
}

/** What summary.py wrote, or undefined if it wrote nothing or counts no request. */
function summarised(json: string): LocustResult | undefined {
  if (!json) return undefined;
  const { latency, answers, successfulUsers, ...totals } = JSON.parse(json) as Omit<GeneratorNumbers, 'latency'> & {
    latency: GeneratorNumbers['latency'] | null;
  } & LocustResult['told'];
  if (!(totals.requests > 0 && latency)) return undefined;
  return { numbers: { ...totals, latency }, told: { answers, successfulUsers } };
}
