import { startMariadb, startRedis } from '../../bench/faults/instances.js';

/**
 * Run by test/private-instances.test.ts as a process of its own: starts a private Redis and a
 * private MariaDB, prints their pids and directories as one JSON line, and then waits to be
 * killed — without ever calling stop(), which is the point.
 */
const redis = await startRedis({ persistence: 'always' });
const mariadb = await startMariadb();
process.stdout.write(
  `${JSON.stringify({ redis: { pid: redis.pid, dir: redis.dir }, mariadb: { pid: mariadb.pid, dir: mariadb.dir } })}\n`,
);
// The instances' handles are unref'd (they never keep Node alive): this timer does.
setInterval(() => {}, 60_000);
