import knex, { type Knex } from 'knex';
import { silentLog, type Log } from './log.js';
import { PingError } from './ping-error.js';
import mysql from 'mysql2/promise';
import { migrationSource } from './migrations.js';
import { parseMysqlUrl } from './mysql-url.js';

export { parseMysqlUrl } from './mysql-url.js';

export type Db = Knex;

export function createDb(mysqlUrl: string, poolSize: number, log: Log): Db {
  return knex({
    client: 'mysql2',
    connection: {
      ...parseMysqlUrl(mysqlUrl),
      // DATETIME columns hold UTC; without this mysql2 would read and write local time.
      timezone: 'Z',
      supportBigNumbers: true,
    },
    pool: { min: 0, max: poolSize },
    acquireConnectionTimeout: 10_000,
    log: knexLog(log),
  });
}

/**
 * knex writes its warnings with console.log, on stdout, which a command's output (the bench's
 * JSON) must keep to itself: they go to the lab's log instead. A lost connection is answered 503
 * where it is met; knex saying so too is for debugging.
 */
function knexLog(log: Log): Knex.Logger {
  return {
    warn: (message: unknown) => log.debug({ knex: String(message) }, 'knex warning'),
    error: (message: unknown) => log.warn({ knex: String(message) }, 'knex error'),
    deprecate: (method: unknown, alternative: unknown) => log.warn({ method, alternative }, 'knex: deprecated'),
    debug: () => undefined,
  };
}

/** Creates the database named in the URL if it does not exist, then brings its schema up to date. */
export async function prepareDatabase(mysqlUrl: string, log: Log = silentLog): Promise<void> {
  const { database, ...server } = parseMysqlUrl(mysqlUrl);
  const admin = knex({ client: 'mysql2', connection: server, pool: { min: 0, max: 1 }, log: knexLog(log) });
  try {
    await admin.raw(`CREATE DATABASE IF NOT EXISTS \`${database}\` CHARACTER SET utf8mb4`);
  } finally {
    await admin.destroy();
  }
  const db = createDb(mysqlUrl, 1, log);
  try {
    await db.migrate.latest({ migrationSource });
  } finally {
    await db.destroy();
  }
}

/**
 * Connects to the server in the URL and runs `SELECT 1`: whether MySQL answers now. Without the
 * database, which may not exist yet (migrations create it). Fails with a PingError saying why.
 */
export async function pingMysql(mysqlUrl: string): Promise<void> {
  const { database: _database, ...server } = parseMysqlUrl(mysqlUrl);
  const connection = await mysql.createConnection({ ...server, connectTimeout: 5_000 }).catch((error: unknown) => {
    throw new PingError(LOGIN_REFUSED.test(String((error as { code?: unknown }).code)) ? 'login-refused' : 'unreachable', error);
  });
  try {
    await connection.query('SELECT 1');
  } finally {
    connection.destroy();
  }
}

/** MySQL's refusals of a user, a password or its authentication (1044, 1045, 1698). */
const LOGIN_REFUSED = /^ER_(DB)?ACCESS_DENIED/;
