import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createServer, type AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../harness/ports.js';
import { createRedis, deleteKeysWithPrefix } from '../src/core/redis.js';
import { cliCommandLine, PROJECT_ROOT } from '../src/project-paths.js';
import { testConfig } from './support/config.js';
import { silentLog } from '../src/core/log.js';
import { STRATEGY_NAMES } from '../src/strategies/names.js';

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
  it('with ADMIN_TOKEN set, creates its coupons with the token and races them as usual; --strategy races only those', async () => {
    const strategies = ['mutex', 'redis-lock', 'record-lock', 'lua'];
    const args = ['demo', '--strategy', strategies.join(','), '--users', '20', '--quantity', '5', '--requests-per-user', '1'];
    const { stdout } = await labCommand(args, { ADMIN_TOKEN: 'demo-admin-token' });
    const rows = stdout.split('\n').filter((line) => (STRATEGY_NAMES as readonly string[]).includes(line.split(' ')[0]!));
    expect(rows).toEqual(strategies.map((strategy) => expect.stringMatching(new RegExp(`^${strategy} +\\w+ +5 +15 +0 +0 +5 +EXACT$`))));
  });
});

/** Runs a command to its end, whatever its exit status; `unprivileged`: as nobody, when the tests run as root. */
function finished(
  args: string[],
  extraEnv: Record<string, string>,
  { unprivileged = false } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const [file, fileArgs] = cliCommandLine(args);
  const [command, commandArgs] =
    unprivileged && process.getuid?.() === 0 ? ['setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', file, ...fileArgs]] : [file, fileArgs];
  return new Promise((resolve) => {
    execFile(command, commandArgs, { env: { ...env, ...extraEnv }, timeout: 30_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
    );
  });
}

describe('a port the process may not listen on', () => {
  // Below 1024 only a privileged process may listen: run as root, the tests run the command as
  // nobody (setpriv, util-linux).
  it.concurrent.for([
    ['start with PORT=1', ['start'], { PORT: '1' }, 'port 1 needs privileges this process lacks; choose another with --port or PORT'],
    [
      'consumer --metrics-port 1',
      ['consumer', '--metrics-port', '1'],
      {},
      'port 1 needs privileges this process lacks; choose another with --metrics-port or METRICS_PORT',
    ],
    ['console --port 1', ['console', '--port', '1'], {}, 'port 1 needs privileges this process lacks; choose another with --port'],
  ] as const)('%s: one line naming the option, exit status 2', async ([, args, extraEnv, line], { expect }) => {
    const { code, stderr } = await finished([...args], extraEnv, { unprivileged: true });
    expect({ code, stderr: stderr.trimEnd().split('\n') }).toEqual({ code: 2, stderr: [line] });
  });
});

describe("the commands' help and messages", () => {
  it.concurrent.for([['bench'], ['faults']] as const)('%s --help shows a list default as "all", not as an array', async ([command], { expect }) => {
    const { stdout } = await labCommand([command, '--help']);
    expect(stdout).toContain('(default: all)');
    expect(stdout).not.toContain('["');
  });

  it.concurrent('load-autocannon --help speaks of autocannon alone', async ({ expect }) => {
    const { stdout } = await labCommand(['load-autocannon', '--help']);
    expect(stdout.replace(/\s+/g, ' ')).toContain('--connections <n> autocannon connections, each keeping one request in flight');
    expect(stdout).not.toMatch(/locust/i);
  });

  it.concurrent.for([
    [['bench', '--users', '0'], "error: option '-u, --users <n>' argument '0' is invalid. It must be a whole number from 1 to 1,000,000."],
    [['bench', '--instances', '1,20'], "error: option '-i, --instances <k[,k…]>' argument '1,20' is invalid. It must be a whole number from 1 to 16."],
    [
      ['load-autocannon', '--users', '200'],
      "error: option '-u, --users <n>' argument '200' is invalid. Every request here comes from a user never seen before; --connections sets how many requests are in flight at once.",
    ],
    [
      ['bench', '--duration', '2x'],
      "error: option '-d, --duration <time>' argument '2x' is invalid. It must be a duration such as 30 (seconds), 30s, 2m or 1m30s, from 1 s to 1 h.",
    ],
    [
      ['load-autocannon', '--duration', '2x'],
      "error: option '-d, --duration <time>' argument '2x' is invalid. It must be a duration such as 30 (seconds), 30s, 2m or 1m30s, from 1 s to 24 h.",
    ],
  ] as const)('%s: says in words which numbers it takes, exit status 2', async ([args, line], { expect }) => {
    const result = await finished([...args], {});
    expect(result.stderr.trimEnd().split('\n')).toEqual([line]);
    expect(result.code).toBe(2);
  });

  it.concurrent.for([
    [['bench', '--no-such-flag'], "error: unknown option '--no-such-flag'"],
    [['no-such-command'], "error: unknown command 'no-such-command'"],
    [['start', '--strategy', 'none'], "error: option '-s, --strategy <name>' argument 'none' is invalid. Allowed choices are"],
  ] as const)('%s: a usage error, exit status 2 as for a bad setting', async ([args, line], { expect }) => {
    const result = await finished([...args], {});
    expect(result.stderr).toContain(line);
    expect(result.code).toBe(2);
  });

  it.concurrent.for([['bench'], ['load-autocannon']] as const)(
    '%s takes --duration 2s as load-autocannon does: it gets past its arguments',
    async ([command], { expect }) => {
      // Refused only where it needs MySQL, which nothing answers on port 1: the duration was taken.
      const result = await finished([command, '--duration', '2s', '--mysql-url', 'mysql://root@127.0.0.1:1/coupon_lab'], {});
      expect(result.stderr).toMatch(/^cannot reach MySQL at /);
      expect(result.code).toBe(2);
    },
  );

  it.concurrent('--help says what each exit status means', async ({ expect }) => {
    const { stdout } = await labCommand(['bench', '--help']);
    expect(stdout).toMatch(/^Exit status:\n {2}0 .*\n {2}1 .*\n {2}2 {2}a usage error: a bad argument or setting/m);
  });

  it.concurrent('--version prints the version of package.json', async ({ expect }) => {
    const { stdout } = await labCommand(['--version']);
    expect(stdout).toBe(`${(JSON.parse(await readFile(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version}\n`);
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

  it.concurrent.for([
    ['bench', '--report', '/proc/r.html'],
    ['faults', '--report', '/proc/x/f.html'],
  ] as const)('%s %s %s, where no file can be created: refused up front in one line, exit status 2', async ([command, flag, path], { expect }) => {
    const result = await finished([command, flag, path], {});
    expect(result.stderr.trimEnd().split('\n')).toEqual([`cannot write ${path}: nothing can be created there`]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
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

describe('a command whose MySQL, Redis or RabbitMQ does not answer', () => {
  // Nothing listens on port 1. Passwords in both, to see them kept out of the message.
  const unreachable = {
    mysql: {
      key: 'MYSQL_URL',
      flag: '--mysql-url',
      url: 'mysql://root:s3cret@127.0.0.1:1/coupon_lab',
      line: (name: string) =>
        `cannot reach MySQL at mysql://root:***@127.0.0.1:1/coupon_lab (${name}): connect ECONNREFUSED 127.0.0.1:1 — start it (docker compose up -d mysql redis) or point ${name} at yours`,
    },
    redis: {
      key: 'REDIS_URL',
      flag: '--redis-url',
      url: 'redis://:s3cret@127.0.0.1:1',
      line: (name: string) =>
        `cannot reach Redis at redis://:***@127.0.0.1:1 (${name}): connect ECONNREFUSED 127.0.0.1:1 — start it (docker compose up -d mysql redis) or point ${name} at yours`,
    },
    // Needed by start only when its default strategy publishes to it; by bench when a strategy run does (all, by default).
    broker: {
      key: 'AMQP_URL',
      flag: '--amqp-url',
      url: 'amqp://guest:s3cret@127.0.0.1:1',
      line: (name: string) =>
        `cannot reach RabbitMQ at amqp://guest:***@127.0.0.1:1 (${name}): connect ECONNREFUSED 127.0.0.1:1 — start it (docker compose up -d rabbitmq) or point ${name} at yours`,
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
    ['start', 'broker'],
    ['broker-consumer', 'mysql'],
    ['broker-consumer', 'broker'],
    ['bench', 'broker'],
    ['console', 'mysql'],
    ['console', 'redis'],
  ] as const)('%s, with %s down: one line on stderr, no stack, exit status 2, nothing started', async ([command, service], { expect }) => {
    const { key, url, line } = unreachable[service];
    const port = await freePort();
    // start needs RabbitMQ only when its default strategy publishes to it.
    const strategy: Record<string, string> = service === 'broker' ? { ISSUE_STRATEGY: 'incr-broker' } : {};
    const result = await finished([command], { [key]: url, ...strategy, PORT: String(port), METRICS_PORT: '0' });
    expect(result.stderr.trimEnd().split('\n')).toEqual([line(key)]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe(''); // no header, no table
    if (command === 'start') expect(await refusesConnections(port)).toBe(true);
  });

  it.concurrent.for([
    ['start', 'mysql'],
    ['consumer', 'redis'],
    ['migrate', 'mysql'],
    ['demo', 'redis'],
    ['bench', 'mysql'],
    ['bench-micro', 'redis'],
    ['load-autocannon', 'mysql'],
  ] as const)('%s, with the %s URL given by its flag: the line names the flag', async ([command, service], { expect }) => {
    const { flag, url, line } = unreachable[service];
    const result = await finished([command, flag, url], { PORT: String(await freePort()), METRICS_PORT: '0' });
    expect(result.stderr.trimEnd().split('\n')).toEqual([line(flag)]);
    expect(result.code).toBe(2);
  });
});

describe('a command whose MySQL or Redis answers, but not as it should', () => {
  it.concurrent('MySQL refusing the login: says so and where to fix it, not to start MySQL', async ({ expect }) => {
    const result = await finished(['migrate'], { MYSQL_URL: 'mysql://nobody@127.0.0.1:3306/coupon_lab' });
    expect(result.stderr.trimEnd().split('\n')).toEqual([
      expect.stringMatching(
        /^MySQL at mysql:\/\/nobody@127\.0\.0\.1:3306\/coupon_lab \(MYSQL_URL\) refused the login: Access denied for user 'nobody'@'[^']+'.* — check the user and password in MYSQL_URL$/,
      ),
    ]);
    expect(result.code).toBe(2);
  });

  it.concurrent('REDIS_URL at a port that speaks another protocol: says so, not "Protocol error … Please report this"', async ({ expect }) => {
    // An HTTP-like server: it answers whatever it is sent with a 400.
    const server = createServer((socket) => socket.on('error', () => {}).end('HTTP/1.1 400 Bad Request\r\n\r\n'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const result = await finished(['bench-micro', '--redis-url', `redis://127.0.0.1:${port}`], {});
      expect(result.stderr.trimEnd().split('\n')).toEqual([
        `Redis at redis://127.0.0.1:${port} (--redis-url) does not answer as Redis does (Protocol error, got "H" as reply type byte. Please report this.) — is --redis-url the address of a Redis server?`,
      ]);
      expect(result.code).toBe(2);
    } finally {
      server.close();
    }
  });

  it.concurrent('RabbitMQ refusing the login: says so and where to fix it, not to start RabbitMQ', async ({ expect }) => {
    const result = await finished(['broker-consumer', '--amqp-url', 'amqp://guest:wrong@127.0.0.1:5672'], { METRICS_PORT: '0' });
    expect(result.stderr.trimEnd().split('\n')).toEqual([
      expect.stringMatching(
        /^RabbitMQ at amqp:\/\/guest:\*\*\*@127\.0\.0\.1:5672\/? \(--amqp-url\) refused the login: .*ACCESS.REFUSED.* — check the user and password in --amqp-url$/,
      ),
    ]);
    expect(result.code).toBe(2);
  });

  it.concurrent('AMQP_URL at a port that speaks another protocol: says so', async ({ expect }) => {
    const server = createServer((socket) => socket.on('error', () => {}).end('HTTP/1.1 400 Bad Request\r\n\r\n'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const result = await finished(['broker-consumer'], { AMQP_URL: `amqp://guest:guest@127.0.0.1:${port}`, METRICS_PORT: '0' });
      expect(result.stderr.trimEnd().split('\n')).toEqual([
        expect.stringMatching(
          new RegExp(
            `^RabbitMQ at amqp://guest:\\*\\*\\*@127\\.0\\.0\\.1:${port}/? \\(AMQP_URL\\) does not answer as RabbitMQ does \\(.+\\) — is AMQP_URL the address of a RabbitMQ server\\?$`,
          ),
        ),
      ]);
      expect(result.code).toBe(2);
    } finally {
      server.close();
    }
  });
});

describe('a bad setting', () => {
  it.concurrent.for([
    ['LOCK_WAIT_MS=abc', [], { LOCK_WAIT_MS: 'abc' }, 'invalid setting: LOCK_WAIT_MS must be a whole number of at least 1'],
    [
      'MYSQL_URL=localhost:3306',
      [],
      { MYSQL_URL: 'localhost:3306' },
      'invalid setting: MYSQL_URL must be a URL such as mysql://user:password@host:3306/database',
    ],
    ['--port eighty', ['--port', 'eighty'], {}, 'invalid setting: --port must be a whole number from 0 to 65,535'],
    [
      '--mysql-url with a dash in the database',
      ['--mysql-url', 'mysql://h/coupon-lab'],
      {},
      'invalid setting: --mysql-url must name a database of letters, digits and _: mysql://user:password@host:3306/database',
    ],
  ] as const)('start, %s: one line in words, naming it as it was given, exit status 2', async ([, args, setting, line], { expect }) => {
    const result = await finished(['start', ...args], setting);
    expect(result.stderr.trimEnd().split('\n')).toEqual([line]);
    expect(result.code).toBe(2);
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
