import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { requireBinary } from '../harness/binaries.js';
import { guardedDir } from '../harness/guarded-dir.js';
import { superviseServer } from '../harness/supervised-server.js';
import { groupMembers } from '../harness/processes.js';
import { connect, type Channel } from 'amqplib';
import { MissingBinaryError, startMariadb, startRabbitmq, startRedis, stopAllInstances, type RedisPersistence } from '../harness/instances.js';
import { createDb } from '../src/core/db.js';
import { createRedis } from '../src/core/redis.js';
import { waitFor } from './support/lab.js';
import { silentLog } from '../src/core/log.js';

/**
 * The private instances the fault tests kill, pause and restart: real redis-server and mariadbd
 * processes on ports of their own, never the shared :6379 and :3306.
 */

// The registry under test is also the safety net: whatever a test started, failed or not.
afterEach(() => stopAllInstances());

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/**
 * The process has exited. A zombie counts: it holds no port, memory or file, and once its parent
 * died, reaping it is init's business, which some containers' init never does.
 */
function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return true;
    throw error;
  }
  const stat = readFileSyncOrEmpty(`/proc/${pid}/stat`);
  return stat === '' || stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
}

/** No process is left in the group `pgid` leads: a server's children (RabbitMQ's EPMD) could outlive their leader. */
const groupGone = (pgid: number) => groupMembers(pgid).length === 0;

function readFileSyncOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return ''; // reaped between the two looks
  }
}

/** Writes `count` keys through a client of its own and closes it, so no client sees the kill. */
async function writeKeys(url: string, prefix: string, count: number): Promise<void> {
  const redis = createRedis(url, { autoPipelining: false, log: silentLog });
  try {
    for (let i = 0; i < count; i++) await redis.set(`${prefix}${i}`, String(i));
  } finally {
    redis.disconnect();
  }
}

async function keysOf(url: string): Promise<string[]> {
  const redis = createRedis(url, { autoPipelining: false, log: silentLog });
  try {
    return (await redis.keys('*')).sort();
  } finally {
    redis.disconnect();
  }
}

describe('private Redis', () => {
  // everysec keeps them too: Redis writes the append-only file before it answers, and only the
  // fsync waits; what a SIGKILL of the process cannot lose, only a crash of the machine could.
  it.each([
    ['always', 50],
    ['everysec', 50],
    ['none', 0],
    ['rdb', 0], // no snapshot taken: nothing to load
  ] as [RedisPersistence, number][])('%s: after SIGKILL and start, %i of 50 acknowledged writes remain', async (persistence, kept) => {
    const redis = await startRedis({ persistence });
    await writeKeys(redis.url, 'k', 50);
    const firstPid = redis.pid;
    await redis.kill();
    expect(redis.pid).toBeUndefined();
    await redis.start();
    expect(redis.pid).not.toBe(firstPid);
    expect(await keysOf(redis.url)).toHaveLength(kept);
  });

  it.each(['always', 'rdb', 'none'] as RedisPersistence[])(
    '%s: restore() brings back exactly the snapshot, and the mode persists what follows it',
    async (persistence) => {
      const redis = await startRedis({ persistence });
      await writeKeys(redis.url, 'before-', 2);
      const snapshot = await redis.snapshot();
      await writeKeys(redis.url, 'after-', 2);
      await redis.kill();
      await redis.restore(snapshot);
      await redis.start();
      expect(await keysOf(redis.url)).toEqual(['before-0', 'before-1']);

      // With `always` the restored data went into a fresh append-only file, so a write after the
      // restore survives the next kill; `rdb` keeps its last snapshot; `none` keeps nothing.
      await writeKeys(redis.url, 'later-', 1);
      await redis.kill();
      await redis.start();
      const afterNextKill: Record<string, string[]> = {
        always: ['before-0', 'before-1', 'later-0'],
        rdb: ['before-0', 'before-1'],
        none: [],
      };
      expect(await keysOf(redis.url)).toEqual(afterNextKill[persistence]);
    },
  );

  it('restore() refuses while the server runs', async () => {
    const redis = await startRedis({ persistence: 'rdb' });
    const snapshot = await redis.snapshot();
    await expect(redis.restore(snapshot)).rejects.toThrow(/kill\(\) it first/);
  });

  it('pause() leaves PING unanswered; resume() answers it again', async () => {
    const redis = await startRedis();
    const client = new Redis(redis.url, { commandTimeout: 300, maxRetriesPerRequest: 0 });
    try {
      expect(await client.ping()).toBe('PONG');
      redis.pause();
      await expect(client.ping()).rejects.toThrow(/timed out/);
      redis.resume();
      expect(await client.ping()).toBe('PONG');
    } finally {
      client.disconnect();
    }
  });

  it('kill() of a paused server still ends it, with SIGTERM too', async () => {
    const redis = await startRedis();
    redis.pause();
    await redis.kill('SIGTERM');
    expect(redis.pid).toBeUndefined();
    await redis.start();
    expect(await keysOf(redis.url)).toEqual([]);
  });

  it('stop() ends the process and removes the directory, once however often it is called', async () => {
    const redis = await startRedis();
    const pid = redis.pid!;
    expect(await exists(redis.dir)).toBe(true);
    await Promise.all([redis.stop(), redis.stop()]);
    expect(isGone(pid)).toBe(true);
    expect(await exists(redis.dir)).toBe(false);
    await expect(redis.start()).rejects.toThrow(/has been stopped/);
  });

  it('a port another Redis serves fails the start, with the log, instead of taking the other for its own', async () => {
    const other = await startRedis();
    const error = (await startRedis({ port: other.port }).catch((e: Error) => e)) as Error;
    expect(error.message).toMatch(new RegExp(`private redis on 127.0.0.1:${other.port} .* exited while starting`, 's'));
    expect(error.message).toMatch(/Address already in use/);
    const dir = /\((\/[^)]*coupon-lab-faults-redis-[^)]*)\)/.exec(error.message)![1]!;
    expect(dir).not.toBe(other.dir);
    expect(await exists(dir)).toBe(false);
  });
});

describe('private MariaDB', () => {
  it('a committed row survives SIGKILL (InnoDB crash recovery on the same data directory)', async () => {
    const mariadb = await startMariadb({ database: 'faults' });
    expect(mariadb.url).toBe(`mysql://root@127.0.0.1:${mariadb.port}/faults`);
    let db = createDb(mariadb.url, 1, silentLog);
    await db.schema.createTable('survivors', (table) => {
      table.increments('id');
      table.string('name');
    });
    await db('survivors').insert({ name: 'committed before the kill' });
    await db.destroy();

    await mariadb.kill('SIGKILL');
    await mariadb.start();
    db = createDb(mariadb.url, 1, silentLog);
    try {
      expect(await db('survivors').pluck('name')).toEqual(['committed before the kill']);
    } finally {
      await db.destroy();
    }
  });

  it('slowCommitUsec: 300000 makes a one-row commit take at least 250 ms; without it, commits are quick', async () => {
    const [slow, normal] = await Promise.all([startMariadb({ slowCommitUsec: 300_000 }), startMariadb()]);
    const [slowMs, normalMs] = [await commitMs(slow.url), await commitMs(normal.url)];
    expect(slowMs).toBeGreaterThanOrEqual(250);
    expect(slowMs).toBeLessThan(1_000);
    expect(normalMs).toBeLessThan(100);
  });

  it('stop() ends mariadbd and removes its directory', async () => {
    const mariadb = await startMariadb();
    const pid = mariadb.pid!;
    await mariadb.stop();
    expect(isGone(pid)).toBe(true);
    expect(await exists(mariadb.dir)).toBe(false);
  });
});

describe('private RabbitMQ', () => {
  it('answers as itself on a port of its own, and after a SIGKILL starts again on the same port and data', async () => {
    const rabbitmq = await startRabbitmq();
    expect(rabbitmq.port).not.toBe(5672);
    const queue = 'survives-a-restart';
    await withChannel(rabbitmq.url, (channel) => channel.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } }));
    const first = rabbitmq.pid!;
    await rabbitmq.kill('SIGKILL');
    expect(groupGone(first)).toBe(true);
    await rabbitmq.start();
    expect(rabbitmq.pid).not.toBe(first);
    expect(await withChannel(rabbitmq.url, (channel) => channel.checkQueue(queue))).toMatchObject({ queue, messageCount: 0 });
  });

  it('stop() ends the node and its EPMD, the whole process group, and removes its directory', async () => {
    const rabbitmq = await startRabbitmq();
    const pid = rabbitmq.pid!;
    expect(groupGone(pid)).toBe(false);
    await rabbitmq.stop();
    expect(groupGone(pid)).toBe(true);
    expect(await exists(rabbitmq.dir)).toBe(false);
  });
});

async function withChannel<T>(url: string, use: (channel: Channel) => Promise<T>): Promise<T> {
  const connection = await connect(url);
  try {
    return await use(await connection.createChannel());
  } finally {
    await connection.close();
  }
}

/** The median time of three single-row INSERT + COMMIT transactions. */
async function commitMs(url: string): Promise<number> {
  const db = createDb(url, 1, silentLog);
  try {
    await db.schema.createTable('commits', (table) => table.increments('id'));
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      await db.transaction((trx) => trx('commits').insert({}));
      times.push(performance.now() - started);
    }
    return times.sort((a, b) => a - b)[1]!;
  } finally {
    await db.destroy();
  }
}

describe('when the Node process that started them ends without stop()', () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    child?.kill('SIGKILL');
  });

  type Started = { pid: number; dir: string };

  /** Runs test/support/private-instances-child.ts and resolves with what it started. */
  async function startChild(mode: 'wait' | 'exit'): Promise<Started[]> {
    child = spawn(process.execPath, ['--import', 'tsx', 'test/support/private-instances-child.ts', mode], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const line = await new Promise<string>((resolve, reject) => {
      let text = '';
      child!.stdout!.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        if (text.includes('\n')) resolve(text.slice(0, text.indexOf('\n')));
      });
      child!.once('exit', (code) => reject(new Error(`the child exited (${code}) before starting its instances`)));
    });
    const { redis, mariadb, rabbitmq } = JSON.parse(line) as Record<'redis' | 'mariadb' | 'rabbitmq', Started>;
    return [redis, mariadb, rabbitmq];
  }

  async function expectGone(instances: Started[]): Promise<void> {
    for (const { pid, dir } of instances) {
      await waitFor(async () => groupGone(pid) && !(await exists(dir)), `process group ${pid} and ${dir} gone`, 10_000);
    }
  }

  it('SIGKILLed, it takes its private Redis, MariaDB and RabbitMQ (its EPMD too), and their directories, with it', async () => {
    const instances = await startChild('wait');
    for (const { pid, dir } of instances) expect({ gone: isGone(pid), dir: await exists(dir) }).toEqual({ gone: false, dir: true });
    child!.kill('SIGKILL');
    await expectGone(instances);
  });

  it('at the end of its program, it exits at once rather than waiting on them, and takes them with it', async () => {
    const instances = await startChild('exit');
    const printed = Date.now();
    await waitFor(async () => child!.exitCode !== null, 'the child exited by itself', 10_000);
    // Its last line printed, nothing is left to do but exit: a second would mean something of
    // the instances (a socket, a timer) held it open.
    expect(Date.now() - printed).toBeLessThan(1_000);
    expect(child!.exitCode).toBe(0);
    await expectGone(instances);
  });
});

it('a missing server binary names the Debian package and how to install it', async () => {
  const error = await requireBinary('redis-server', 'redis-server', '/nonexistent').catch((e: unknown) => e);
  expect(error).toBeInstanceOf(MissingBinaryError);
  expect((error as Error).message).toMatch(/redis-server is not installed.*apt-get install -y redis-server/);
});

it('a server binary that cannot be run fails the start, saying why, rather than the process', async () => {
  const dir = await guardedDir('test-unrunnable');
  const server = superviseServer(dir, {
    name: 'unrunnable server',
    command: () => ({ binary: join(dir.path, 'no-such-program'), args: [] }),
    logPath: join(dir.path, 'server.log'),
    probe: async () => {},
  });
  await expect(server.start()).rejects.toThrow(/^unrunnable server could not be started: spawn \S+ ENOENT$/);
  await server.stop();
  expect(await exists(dir.path)).toBe(false);
});
