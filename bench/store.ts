import knex, { type Knex } from 'knex';
import type { Config } from '../src/core/config.js';
import { parseMysqlUrl, prepareDatabase } from '../src/core/db.js';
import { deleteIssueQueues, issueQueues } from '../src/core/issue-queue/queues.js';
import { silentLog } from '../src/core/log.js';
import { reasonOf } from '../src/core/ping-error.js';
import { benchStoreConfig } from './run-start.js';
import { createRedis, deleteKeysWithPrefix } from '../src/core/redis.js';

/**
 * Where one bench run keeps its data: a database of its own, `<lab database>_bench_<run id>`,
 * created and migrated at the start and dropped at the end, and Redis keys under
 * `<prefix>bench:<run id>:` (and the broker strategies' queues named after it), deleted at the end. Every run starts from empty tables, so one run's
 * figures do not depend on the rows earlier runs left; the lab's own data is never touched; a lab
 * server running meanwhile never consumes the bench's streams; and two benches on one server at
 * once neither see nor wipe each other's data.
 */
export interface BenchStore {
  /** The lab's configuration, pointed at the run's database and key prefix. */
  config: Config;
  /**
   * Drops the run's database and deletes its Redis keys, and its RabbitMQ queues if `broker` (a
   * broker strategy ran). Each is tried whatever became of the others, and never rejects: it runs
   * once a run has ended, however it ended, and a failure here must not take the place of the run's
   * own. What it could not remove, and why, it says on `say` (a line on stderr by default).
   */
  remove(options?: { broker?: boolean; say?: (line: string) => void }): Promise<void>;
}

export async function openBenchStore(config: Config): Promise<BenchStore> {
  const store = benchStore(benchStoreConfig(config));
  await store.prepare();
  return store;
}

/**
 * The run's store, as `benchStoreConfig` named it, its database not yet created: `prepare()`
 * creates and migrates it. A server may be started on `config` meanwhile, as long as nothing asks
 * it anything before.
 */
export function benchStore(own: Config): BenchStore & { prepare(): Promise<void> } {
  return {
    config: own,
    prepare: () => prepareDatabase(own.MYSQL_URL),
    remove: ({ broker = false, say = (line: string) => process.stderr.write(`${line}\n`) } = {}) => removeStore(own, broker, say),
  };
}

async function removeStore(config: Config, broker: boolean, say: (line: string) => void): Promise<void> {
  const { database } = parseMysqlUrl(config.MYSQL_URL);
  const queues = issueQueues(config.REDIS_KEY_PREFIX);
  const removals = [
    { left: `database ${database} was not dropped`, remove: () => withServer(config, (admin) => admin.raw(`DROP DATABASE IF EXISTS \`${database}\``)) },
    { left: `Redis keys under ${config.REDIS_KEY_PREFIX} were not deleted`, remove: () => deleteRedisKeys(config) },
    ...(broker
      ? [{ left: `RabbitMQ queues ${queues.work} and ${queues.dead} were not deleted`, remove: () => deleteIssueQueues(config.AMQP_URL, queues) }]
      : []),
  ];
  const results = await Promise.allSettled(removals.map(({ remove }) => remove()));
  results.forEach((result, i) => {
    if (result.status === 'rejected') say(`the bench run's ${removals[i]!.left}: ${reasonOf(result.reason)}`);
  });
}

async function deleteRedisKeys(config: Config): Promise<void> {
  const redis = createRedis(config.REDIS_URL, { autoPipelining: false, log: silentLog, cluster: config.REDIS_CLUSTER });
  try {
    await deleteKeysWithPrefix(redis, config.REDIS_KEY_PREFIX);
  } finally {
    redis.disconnect();
  }
}

/**
 * The databases of bench runs on the lab's MySQL server that still exist: those running now, and
 * those of runs killed before they could drop theirs.
 */
export async function benchDatabases(config: Config): Promise<string[]> {
  const { database } = parseMysqlUrl(config.MYSQL_URL);
  const pattern = `${database}_bench_`.replace(/_/g, '\\_');
  const [rows] = (await withServer(config, (admin) => admin.raw('SHOW DATABASES LIKE ?', [`${pattern}%`]))) as [Record<string, string>[]];
  return rows.map((row) => Object.values(row)[0]!).filter((name) => /_bench_[0-9a-f]{8}$/.test(name));
}

/**
 * Says on stderr, in one line, which bench databases the server already holds, if any: they are
 * not this run's business, but one left by a killed run stays until someone drops it.
 */
export async function noteOtherBenches(command: string, config: Config): Promise<void> {
  const names = await benchDatabases(config);
  if (names.length === 0) return;
  const which = names.length === 1 ? `a bench database, ${names[0]}` : `${names.length} bench databases (${names.join(', ')})`;
  process.stderr.write(
    `${command}: this MySQL server already holds ${which}: a bench running now, or one killed before it could drop its own; once no bench runs, DROP DATABASE what is left\n`,
  );
}

/** A connection to the MySQL server itself, no database selected, for the duration of `work`. */
async function withServer<T>(config: Config, work: (admin: Knex) => Promise<T>): Promise<T> {
  const { database: _database, ...server } = parseMysqlUrl(config.MYSQL_URL);
  const admin = knex({ client: 'mysql2', connection: server, pool: { min: 0, max: 1 } });
  try {
    return await work(admin);
  } finally {
    await admin.destroy();
  }
}
