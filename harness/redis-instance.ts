import { copyFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { requireBinary } from './binaries.js';
import { guardedDir } from './guarded-dir.js';
import { freePort } from './ports.js';
import { superviseServer, type PrivateInstance } from './supervised-server.js';

/**
 * What survives a kill:
 * - `none`: nothing; every start is empty unless restore() was called just before;
 * - `everysec`, `always`: the append-only file, fsynced every second or at every write;
 * - `rdb`: the last snapshot() (Redis loads the dump BGSAVE left).
 */
export type RedisPersistence = 'none' | 'everysec' | 'always' | 'rdb';

/** A private Redis: `start()` resolves once PING answers PONG with the data loaded. */
export interface PrivateRedis extends PrivateInstance {
  /** BGSAVE, awaited; the dump copied to a file in `dir`, whose path is returned. */
  snapshot(): Promise<string>;
  /** While down: the next start() loads exactly this snapshot (append-only files are removed). */
  restore(snapshotPath: string): Promise<void>;
}

const DUMP = 'dump.rdb';
const AOF_DIR = 'appendonlydir';
/** How long a BGSAVE or an append-only rewrite of a lab-sized dataset may take. */
const PERSISTENCE_TIMEOUT_MS = 60_000;

export interface RedisInstanceOptions {
  persistence?: RedisPersistence;
  port?: number;
  /** A node of a Redis Cluster (`--cluster-enabled yes`), to be joined by startRedisCluster(). */
  clusterNode?: boolean;
}

export async function startRedis(options: RedisInstanceOptions = {}): Promise<PrivateRedis> {
  const binary = await requireBinary('redis-server', 'redis-server');
  const persistence = options.persistence ?? 'none';
  const aof = persistence === 'everysec' || persistence === 'always';
  const port = options.port ?? (await freePort());
  // Redis's default bus port, port + 10000, may fall in the ephemeral range: pick it as we pick the port.
  const busPort = options.clusterNode ? await freePort([port]) : undefined;
  const dir = await guardedDir('faults-redis');
  // Redis 7 ignores the dump when append-only is on, even with no append-only file: a restored
  // snapshot is loaded with append-only off, which start() then turns on.
  let restored = false;
  const server = superviseServer(dir, {
    name: `private redis on 127.0.0.1:${port} (${dir.path})`,
    logPath: join(dir.path, 'redis.log'),
    command: () => ({
      binary,
      args: [...redisArgs(port, dir.path, persistence, aof && !restored), ...(busPort === undefined ? [] : clusterArgs(busPort))],
    }),
    probe: (pid) => serves(port, pid),
  });
  let snapshots = 0;

  const redis: PrivateRedis = {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir: dir.path,
    get pid() {
      return server.pid;
    },
    async start() {
      // `none` promises an empty start: drop the dump an earlier snapshot() left.
      if (persistence === 'none' && !restored) await rm(join(dir.path, DUMP), { force: true });
      await server.start();
      if (aof && restored) await withAdmin(port, PERSISTENCE_TIMEOUT_MS, turnAppendOnlyOn);
      restored = false;
    },
    kill: (signal) => server.kill(signal),
    pause: () => server.pause(),
    resume: () => server.resume(),
    async snapshot() {
      await withAdmin(port, PERSISTENCE_TIMEOUT_MS, backgroundSave);
      const path = join(dir.path, `snapshot-${++snapshots}.rdb`);
      await copyFile(join(dir.path, DUMP), path);
      return path;
    },
    async restore(snapshotPath) {
      if (server.pid !== undefined) throw new Error(`restore() needs ${redis.url} down: kill() it first`);
      await rm(join(dir.path, AOF_DIR), { recursive: true, force: true });
      await copyFile(snapshotPath, join(dir.path, DUMP));
      restored = true;
    },
    stop: () => server.stop(),
  };
  try {
    await redis.start();
  } catch (error) {
    await redis.stop();
    throw error;
  }
  return redis;
}

function redisArgs(port: number, dir: string, persistence: RedisPersistence, appendOnly: boolean): string[] {
  const fsync = persistence === 'always' ? 'always' : 'everysec';
  return [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--daemonize',
    'no',
    '--dir',
    dir,
    '--dbfilename',
    DUMP,
    '--appenddirname',
    AOF_DIR,
    // No automatic snapshots in any mode: snapshot() is the only BGSAVE.
    '--save',
    '',
    '--appendonly',
    appendOnly ? 'yes' : 'no',
    '--appendfsync',
    fsync,
  ];
}

/** Its own node file in its own directory; failures noticed within a second. */
function clusterArgs(busPort: number): string[] {
  return ['--cluster-enabled', 'yes', '--cluster-port', String(busPort), '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '1000'];
}

/** Our redis-server, not another process on its port, answers and has loaded its data (INFO works while loading). */
async function serves(port: number, pid: number): Promise<void> {
  const info = await withAdmin(port, 1_000, (admin) => infoFields(admin));
  if (info.process_id !== String(pid)) throw new Error(`127.0.0.1:${port} is answered by pid ${info.process_id}, not ${pid}`);
  if (info.loading !== '0') throw new Error('still loading its data');
}

/**
 * One client for one task, closed after it, or after `timeoutMs` if the server does not answer
 * (a paused one never does).
 */
async function withAdmin<T>(port: number, timeoutMs: number, use: (admin: Redis) => Promise<T>): Promise<T> {
  // One attempt, no retries, no waiting for LOADING to end: the callers poll and decide.
  const admin = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    enableReadyCheck: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  admin.on('error', () => {}); // the failed command or connect() rejects with the same error
  // ioredis's disconnect() waits up to 2 s for a close that, on a connection already refused, has
  // already happened, holding Node open all that time: only disconnect a client still connected.
  const close = () => admin.status !== 'end' && admin.disconnect();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    close(); // rejects whatever is pending
  }, timeoutMs);
  try {
    await admin.connect();
    return await use(admin);
  } catch (error) {
    throw timedOut ? new Error(`127.0.0.1:${port} did not answer within ${timeoutMs} ms`) : error;
  } finally {
    clearTimeout(timer);
    close();
  }
}

/** BGSAVE, resolved once that save (not an earlier one) has finished, rejected if it failed. */
async function backgroundSave(admin: Redis): Promise<void> {
  const before = Number((await infoFields(admin, 'persistence')).rdb_saves);
  // SCHEDULE: if an append-only rewrite is running, save right after it instead of failing.
  await admin.call('BGSAVE', 'SCHEDULE');
  // rdb_saves counts saves begun, so "more than before and none in progress" means ours is over.
  const info = await until(admin, (i) => Number(i.rdb_saves) > before && i.rdb_bgsave_in_progress === '0');
  if (info.rdb_last_bgsave_status !== 'ok') throw new Error(`BGSAVE failed on 127.0.0.1:${admin.options.port}`);
}

/** Append-only on, resolved once the rewrite that writes the whole dataset to it has finished. */
async function turnAppendOnlyOn(admin: Redis): Promise<void> {
  await admin.config('SET', 'appendonly', 'yes');
  const info = await until(admin, (i) => i.aof_rewrite_in_progress === '0' && i.aof_rewrite_scheduled === '0');
  if (info.aof_last_bgrewrite_status !== 'ok') throw new Error(`AOF rewrite failed on 127.0.0.1:${admin.options.port}`);
}

/** Polls INFO persistence until `done`; withAdmin's timeout bounds the wait. */
async function until(admin: Redis, done: (info: Record<string, string>) => boolean) {
  for (;;) {
    const info = await infoFields(admin, 'persistence');
    if (done(info)) return info;
    await delay(20);
  }
}

async function infoFields(admin: Redis, section?: string): Promise<Record<string, string>> {
  const text = section ? await admin.info(section) : await admin.info();
  const fields = text.split('\r\n').filter((line) => line.includes(':'));
  return Object.fromEntries(fields.map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1)]));
}
