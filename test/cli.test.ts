import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../harness/ports.js';
import { createRedis, deleteKeysWithPrefix } from '../src/core/redis.js';
import { cliCommandLine } from '../src/project-paths.js';
import { testConfig } from './support/config.js';
import { silentLog } from '../src/core/log.js';

/** The CLI as a user runs it: the compiled `coupon-lab <command>`, in a process of its own. */
const run = promisify(execFile);
const config = testConfig();
const env = { ...process.env, MYSQL_URL: config.MYSQL_URL, REDIS_KEY_PREFIX: config.REDIS_KEY_PREFIX, LOG_LEVEL: 'warn' };

afterAll(async () => {
  const redis = createRedis(config.REDIS_URL, { autoPipelining: false, log: silentLog });
  await deleteKeysWithPrefix(redis, config.REDIS_KEY_PREFIX).finally(() => redis.disconnect());
});

function labCommand(args: string[], extraEnv: Record<string, string> = {}): Promise<{ stdout: string; stderr: string }> {
  return run(...cliCommandLine(args), { env: { ...env, ...extraEnv } });
}

describe('npm run demo', () => {
  it('with ADMIN_TOKEN set, creates its coupons with the token and races them as usual', async () => {
    const { stdout } = await labCommand(['demo', '--users', '20', '--quantity', '5', '--requests-per-user', '1'], { ADMIN_TOKEN: 'demo-admin-token' });
    for (const strategy of ['mutex', 'redis-lock', 'record-lock', 'lua']) {
      expect(stdout).toMatch(new RegExp(`^${strategy} +\\w+ +5 +15 +0 +0 +5 +EXACT$`, 'm'));
    }
  });
});

/** Runs a command to its end, whatever its exit status. */
function finished(args: string[], extraEnv: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(...cliCommandLine(args), { env: { ...env, ...extraEnv }, timeout: 30_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
    );
  });
}

describe("the commands' help and messages", () => {
  it.concurrent.for([['bench'], ['faults']] as const)('%s --help shows a list default as "all", not as an array', async ([command], { expect }) => {
    const { stdout } = await labCommand([command, '--help']);
    expect(stdout).toContain('(default: all)');
    expect(stdout).not.toContain('["');
  });

  it.concurrent('load-autocannon --help speaks of autocannon alone', async ({ expect }) => {
    const { stdout } = await labCommand(['load-autocannon', '--help']);
    expect(stdout.replace(/\s+/g, ' ')).toContain('autocannon connections (one per user), each with one request in flight');
    expect(stdout).not.toMatch(/locust/i);
  });

  it.concurrent.for([
    [['bench', '--users', '0'], "error: option '-u, --users <n>' argument '0' is invalid. It must be a whole number from 1 to 1,000,000."],
    [['bench', '--instances', '1,20'], "error: option '-i, --instances <k[,k…]>' argument '1,20' is invalid. It must be a whole number from 1 to 16."],
  ] as const)('%s: says in words which numbers it takes', async ([args, line], { expect }) => {
    const result = await finished([...args], {});
    expect(result.stderr.trimEnd().split('\n')).toEqual([line]);
    expect(result.code).toBe(1);
  });
});

describe('a command told to write a file where it cannot', () => {
  it.concurrent.for([
    ['bench', '--out'],
    ['bench', '--report'],
    ['faults', '--out'],
    ['faults', '--report'],
  ] as const)('%s %s: one line on stderr and exit status 2 before it runs anything', async ([command, flag], { expect }) => {
    const dir = await mkdtemp(join(tmpdir(), 'coupon-lab-cli-'));
    try {
      await writeFile(join(dir, 'a-file'), '');
      const path = join(dir, 'a-file', 'reports', 'r');
      const result = await finished([command, flag, path], {});
      expect(result.stderr.trimEnd().split('\n')).toEqual([`cannot write ${path}: a part of its path is a file, not a folder`]);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

async function refusesConnections(port: number): Promise<boolean> {
  const socket = connect(port, '127.0.0.1');
  const refused = await new Promise<boolean>((resolve) => {
    socket.once('connect', () => resolve(false));
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
  socket.destroy();
  return refused;
}

describe('a command whose MySQL or Redis does not answer', () => {
  // Nothing listens on port 1. Passwords in both, to see them kept out of the message.
  const unreachable = {
    mysql: {
      MYSQL_URL: 'mysql://root:s3cret@127.0.0.1:1/coupon_lab',
      line: /^cannot reach MySQL at mysql:\/\/root:\*\*\*@127\.0\.0\.1:1\/coupon_lab \(MYSQL_URL\): connect ECONNREFUSED 127\.0\.0\.1:1 — start it \(docker compose up -d mysql redis\) or point MYSQL_URL at yours$/,
    },
    redis: {
      REDIS_URL: 'redis://:s3cret@127.0.0.1:1',
      line: /^cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1 \(REDIS_URL\): connect ECONNREFUSED 127\.0\.0\.1:1 — start it \(docker compose up -d mysql redis\) or point REDIS_URL at yours$/,
    },
  };

  it.concurrent.for([
    ['start', 'mysql'],
    ['start', 'redis'],
    ['consumer', 'mysql'],
    ['consumer', 'redis'],
    ['migrate', 'mysql'],
    ['demo', 'mysql'],
    ['demo', 'redis'],
    ['bench', 'mysql'],
    ['bench', 'redis'],
    ['console', 'mysql'],
    ['console', 'redis'],
  ] as const)('%s, with %s down: one line on stderr, no stack, exit status 2, nothing started', async ([command, service], { expect }) => {
    const { line, ...setting } = unreachable[service];
    const port = await freePort();
    const result = await finished([command], { ...setting, PORT: String(port), METRICS_PORT: '0' });
    expect(result.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(line)]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe(''); // no header, no table
    if (command === 'start') expect(await refusesConnections(port)).toBe(true);
  });
});

describe('a command told the wrong kind of Redis', () => {
  it('start with REDIS_CLUSTER=true on a Redis that is not a cluster: one line naming the setting, exit status 2, nothing started', async () => {
    const port = await freePort();
    const result = await finished(['start'], { REDIS_CLUSTER: 'true', PORT: String(port), METRICS_PORT: '0' });
    expect(result.stderr.trimEnd().split('\n')).toEqual([
      expect.stringMatching(
        /^Redis at redis:\/\/127\.0\.0\.1:6379\/? \(REDIS_URL\) is not a Redis Cluster, but REDIS_CLUSTER is set: unset it, or point REDIS_URL at a cluster's nodes$/,
      ),
    ]);
    expect(result.code).toBe(2);
    expect(await refusesConnections(port)).toBe(true);
  });
});
