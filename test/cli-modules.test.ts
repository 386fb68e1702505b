import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { configEnv } from '../harness/server-process.js';
import { silentLog } from '../src/core/log.js';
import { createRedis, deleteKeysWithPrefix } from '../src/core/redis.js';
import { cliCommandLine } from '../src/project-paths.js';
import { testConfig } from './support/config.js';
import { watchLog } from './support/spawned.js';

/**
 * Each command's action imports its modules when it runs (bin/coupon-lab.ts): `--help` and `start`
 * must not load what only the bench uses. Checked by what the compiled CLI really loads, recorded by a
 * module hook preloaded into it (support/record-modules.js), not by reading import lines.
 */
// A URL, not a path: NODE_OPTIONS splits on spaces, and a URL has none.
const RECORDER = new URL('./support/record-modules.js', import.meta.url).href;
const BENCH_ONLY = ['autocannon', 'tinybench', 'hdr-histogram-js'];
const config = testConfig({ LOG_LEVEL: 'info' });
const dir = await mkdtemp(join(tmpdir(), 'coupon-lab-modules-'));

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  const redis = createRedis(config.REDIS_URL, { autoPipelining: false, log: silentLog });
  await deleteKeysWithPrefix(redis, config.REDIS_KEY_PREFIX).finally(() => redis.disconnect());
});

/** The environment of a CLI process that records its modules in `file`. */
function recording(file: string): NodeJS.ProcessEnv {
  return { ...process.env, ...configEnv(config), RECORD_MODULES_TO: file, NODE_OPTIONS: `--import=${RECORDER}` };
}

/** The packages among the recorded module URLs: `node_modules/<name>/…` or `node_modules/@scope/<name>/…`. */
async function packagesIn(file: string): Promise<string[]> {
  const urls = (await readFile(file, 'utf8')).split('\n');
  const names = urls.flatMap((url) => [...url.matchAll(/\/node_modules\/((?:@[^/]+\/)?[^/]+)\//g)].map((match) => match[1]!));
  return [...new Set(names)].sort();
}

describe('what a command loads', () => {
  it('`coupon-lab --help` loads commander and no other package', async () => {
    const file = join(dir, 'help.txt');
    const { stdout } = await promisify(execFile)(...cliCommandLine(['--help']), { env: recording(file) });
    expect(stdout).toMatch(/^Usage: coupon-lab /);
    expect(await packagesIn(file)).toEqual(['commander']);
  });

  it("`start` loads the server and its drivers, and none of the bench's load generators", async () => {
    const file = join(dir, 'start.txt');
    const child = spawn(...cliCommandLine(['start', '--port', '0']), { env: recording(file), stdio: ['ignore', 'ignore', 'pipe'] });
    const log = watchLog(child);
    try {
      await log.logged('server listening');
    } finally {
      child.kill('SIGTERM');
    }
    await once(child, 'exit');
    const packages = await packagesIn(file);
    // What start needs is seen, so the recorder sees what it loads …
    expect(packages).toEqual(expect.arrayContaining(['express', 'ioredis', 'knex', 'mysql2', 'pino', 'zod']));
    // … and what only the bench loads is not among it.
    expect(packages.filter((name) => BENCH_ONLY.includes(name))).toEqual([]);
  });
});
