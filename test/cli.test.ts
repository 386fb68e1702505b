import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { createRedis, deleteKeysWithPrefix } from '../src/core/redis.js';
import { testConfig } from './support/config.js';

/** The CLI as a user runs it: `node --import tsx bin/coupon-lab.ts <command>`, in a process of its own. */
const run = promisify(execFile);
const config = testConfig();
const env = { ...process.env, MYSQL_URL: config.MYSQL_URL, REDIS_KEY_PREFIX: config.REDIS_KEY_PREFIX, LOG_LEVEL: 'warn' };

afterAll(async () => {
  const redis = createRedis(config.REDIS_URL, { autoPipelining: false });
  await deleteKeysWithPrefix(redis, config.REDIS_KEY_PREFIX).finally(() => redis.disconnect());
});

function labCommand(args: string[], extraEnv: Record<string, string> = {}): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, ['--import', 'tsx', 'bin/coupon-lab.ts', ...args], { env: { ...env, ...extraEnv } });
}

describe('npm run demo', () => {
  it('with ADMIN_TOKEN set, creates its coupons with the token and races them as usual', async () => {
    const { stdout } = await labCommand(['demo', '--users', '20', '--quantity', '5', '--requests-per-user', '1'], { ADMIN_TOKEN: 'demo-admin-token' });
    for (const strategy of ['mutex', 'redis-lock', 'record-lock', 'lua']) {
      expect(stdout).toMatch(new RegExp(`^${strategy} +\\w+ +5 +15 +0 +0 +5 +EXACT$`, 'm'));
    }
  });
});
