import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createConnection } from 'mysql2/promise';
import { requireBinary } from './binaries.js';
import { guardedDir, type GuardedDir } from './guarded-dir.js';
import { freePort } from './ports.js';
import { superviseServer, type PrivateInstance } from './supervised-server.js';

/**
 * A private MariaDB at `mysql://root@127.0.0.1:<port>/<database>` (root, empty password): `start()`
 * recovers from a crash on the same data directory and resolves once it accepts connections.
 */
export type PrivateMariadb = PrivateInstance;

export interface MariadbOptions {
  /**
   * Make every commit take about this long (µs): the binary log's group commit waits up to this
   * for a second transaction to join, and with one writer at a time none comes.
   */
  slowCommitUsec?: number;
  /** Created on the first start; `coupon_lab` by default. */
  database?: string;
  port?: number;
}

const execFileAsync = promisify(execFile);

/** Small, so that several instances fit beside the shared one; the same at init and at start, or the first start resizes the redo log. */
const SMALL = ['--innodb-buffer-pool-size=32M', '--innodb-log-file-size=16M'];

/** mariadbd refuses to run as root unless told to; any other user runs as itself. */
const AS_ROOT = process.getuid?.() === 0 ? ['--user=root'] : [];

export async function startMariadb(options: MariadbOptions = {}): Promise<PrivateMariadb> {
  const database = options.database ?? 'coupon_lab';
  if (!/^[A-Za-z0-9_]+$/.test(database)) throw new Error(`database must be letters, digits and _ (got "${database}")`);
  const binary = await requireBinary('mariadbd', 'mariadb-server');
  const template = await initialisedTemplate();
  const port = options.port ?? (await freePort());
  const dir = await guardedDir('faults-mariadb');
  const server = superviseServer(dir, {
    name: `private mariadb on 127.0.0.1:${port} (${dir.path})`,
    logPath: join(dir.path, 'mariadbd.log'),
    command: () => ({ binary, args: mariadbArgs(port, dir.path, options.slowCommitUsec) }),
    probe: () => servesDatadir(port, join(dir.path, 'data')),
    // InnoDB crash recovery after a SIGKILL under load can take a while.
    startTimeoutMs: 60_000,
  });
  const mariadb: PrivateMariadb = {
    url: `mysql://root@127.0.0.1:${port}/${database}`,
    port,
    dir: dir.path,
    get pid() {
      return server.pid;
    },
    start: () => server.start(),
    kill: (signal) => server.kill(signal),
    pause: () => server.pause(),
    resume: () => server.resume(),
    stop: () => server.stop(),
  };
  try {
    await execFileAsync('cp', ['-a', join(template.path, 'data'), join(dir.path, 'data')]);
    await mariadb.start();
    await query(port, `CREATE DATABASE IF NOT EXISTS \`${database}\` CHARACTER SET utf8mb4`);
  } catch (error) {
    await mariadb.stop();
    throw error;
  }
  return mariadb;
}

function mariadbArgs(port: number, dir: string, slowCommitUsec: number | undefined): string[] {
  return [
    // First, or the shared server's /etc/mysql/my.cnf (its datadir, socket, pid file, log) applies.
    '--no-defaults',
    ...AS_ROOT,
    `--datadir=${join(dir, 'data')}`,
    `--port=${port}`,
    '--bind-address=127.0.0.1',
    `--socket=${join(dir, 'mysqld.sock')}`,
    `--pid-file=${join(dir, 'mariadbd.pid')}`,
    '--skip-name-resolve',
    '--character-set-server=utf8mb4',
    '--collation-server=utf8mb4_general_ci',
    ...SMALL,
    ...(slowCommitUsec === undefined
      ? []
      : [`--log-bin=${join(dir, 'binlog')}`, '--server-id=1', '--binlog-commit-wait-count=2', `--binlog-commit-wait-usec=${slowCommitUsec}`]),
  ];
}

/** Our mariadbd, not another server on its port, accepts connections (mariadbd has no pid to ask for: its data directory tells). */
async function servesDatadir(port: number, datadir: string): Promise<void> {
  const [rows] = await query(port, 'SELECT @@datadir AS datadir');
  const served = (rows as { datadir: string }[])[0]?.datadir;
  if (served !== `${datadir}/`) throw new Error(`127.0.0.1:${port} serves ${served}, not ${datadir}`);
}

async function query(port: number, sql: string) {
  const connection = await createConnection({ host: '127.0.0.1', port, user: 'root', connectTimeout: 2_000 });
  try {
    return await connection.query(sql);
  } finally {
    connection.destroy();
  }
}

let template: Promise<GuardedDir> | undefined;

/**
 * A data directory initialised once per Node process and copied per instance: copying what
 * mariadb-install-db wrote is many times faster than running it again for every instance a test
 * starts. Removed, like any guarded directory, when this process ends.
 */
function initialisedTemplate(): Promise<GuardedDir> {
  template ??= initialise().catch((error: unknown) => {
    template = undefined; // let a later call try again
    throw error;
  });
  return template;
}

async function initialise(): Promise<GuardedDir> {
  const installDb = await requireBinary('mariadb-install-db', 'mariadb-server');
  const dir = await guardedDir('faults-mariadb-template');
  const args = ['--no-defaults', ...AS_ROOT, `--datadir=${join(dir.path, 'data')}`, '--auth-root-authentication-method=normal', '--skip-test-db', ...SMALL];
  try {
    await execFileAsync(installDb, args);
  } catch (error) {
    await dir.remove();
    const { stderr, stdout } = error as { stderr?: string; stdout?: string };
    const tail = (stderr || stdout || '').trim().split('\n').slice(-15).join('\n');
    throw new Error(`mariadb-install-db failed: ${(error as Error).message}\n${tail}`, { cause: error });
  }
  return dir;
}
