import knex from 'knex';
import type { Config } from '../src/core/config.js';
import { parseMysqlUrl, prepareDatabase } from '../src/core/db.js';
import { silentLog } from '../src/core/log.js';
import { createRedis, deleteKeysWithPrefix } from '../src/core/redis.js';

/**
 * Where the bench keeps its data: a database of its own, named after the lab's with `_bench`
 * appended, and Redis keys under a prefix of their own. The lab's data is never touched, and a
 * lab server running meanwhile never consumes the bench's streams.
 */
export function benchConfig(config: Config): Config {
  const url = new URL(config.MYSQL_URL);
  url.pathname = `${url.pathname}_bench`;
  return Object.freeze({ ...config, MYSQL_URL: url.toString(), REDIS_KEY_PREFIX: `${config.REDIS_KEY_PREFIX}bench:` });
}

/**
 * Empties the bench's database and Redis keys. Every run starts from the same empty tables, so
 * that one run's figures do not depend on how many rows earlier runs left behind.
 */
export async function resetBenchStore(config: Config): Promise<void> {
  const { database, ...server } = parseMysqlUrl(config.MYSQL_URL);
  const admin = knex({ client: 'mysql2', connection: server, pool: { min: 0, max: 1 } });
  try {
    await admin.raw(`DROP DATABASE IF EXISTS \`${database}\``);
  } finally {
    await admin.destroy();
  }
  await prepareDatabase(config.MYSQL_URL);
  const redis = createRedis(config.REDIS_URL, { autoPipelining: false, log: silentLog });
  try {
    await deleteKeysWithPrefix(redis, config.REDIS_KEY_PREFIX);
  } finally {
    redis.disconnect();
  }
}
