import { randomBytes } from 'node:crypto';
import type { Config } from '../src/core/config.js';
import { parseMysqlUrl } from '../src/core/mysql-url.js';
import { spawnServer, type ServerProcess } from '../harness/server-process.js';
import type { BenchSettings } from './report.js';

/** MySQL's longest database name. */
const MAX_NAME = 64;

/**
 * What a bench run starts before anything else: the name of its store, and, over HTTP, its first
 * server processes, which take as long to start as the rest of the setting up (loading the bench,
 * creating and migrating the database) and ask MySQL nothing until they are asked something. This
 * module loads no driver, so the command can start them before it loads the bench itself.
 */
export interface RunStart {
  /** The lab's configuration pointed at the run's own store (store.ts creates and removes it). */
  config: Config;
  /** The servers of the first `--instances` entry, starting; none in direct mode. */
  firstServer: Promise<ServerProcess> | undefined;
}

export function startRun(settings: Pick<BenchSettings, 'mode' | 'instances'>, labConfig: Config): RunStart {
  const config = benchStoreConfig(labConfig);
  const firstServer = settings.mode === 'http' ? startServers(config, settings.instances[0]!) : undefined;
  firstServer?.catch(() => undefined); // awaited, and its failure thrown, where the first setting runs
  return { config, firstServer };
}

/** Server processes (as many as `instances`) behind one port, on the run's store. */
export function startServers(config: Config, instances: number): Promise<ServerProcess> {
  return spawnServer({ ...config, PORT: 0, MIGRATE_ON_START: false }, { instances });
}

/**
 * Where one run keeps its data: a database of its own, `<lab database>_bench_<run id>`, and Redis
 * keys (and the broker strategies' queues) under `<prefix>bench:<run id>:` (see store.ts).
 */
export function benchStoreConfig(config: Config): Config {
  const runId = randomBytes(4).toString('hex');
  const url = new URL(config.MYSQL_URL);
  url.pathname = `${url.pathname}_bench_${runId}`;
  const { database } = parseMysqlUrl(url.toString());
  if (database.length > MAX_NAME) {
    throw new Error(`the bench's database name ${database} is longer than MySQL's ${MAX_NAME} characters: name a shorter database in MYSQL_URL`);
  }
  return Object.freeze({ ...config, MYSQL_URL: url.toString(), REDIS_KEY_PREFIX: `${config.REDIS_KEY_PREFIX}bench:${runId}:` });
}
