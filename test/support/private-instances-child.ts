import { startMariadb, startRedis } from '../../harness/instances.js';

/**
 * Run by test/private-instances.test.ts as a process of its own: starts a private Redis and a
 * private MariaDB, prints their pids and directories as one JSON line, and never calls stop(),
 * which is the point. `wait` (the default) then waits to be killed; `exit` lets the program end.
 */
// Redis last: whatever its start leaves pending (a client, a timer) is still pending when we print.
const mariadb = await startMariadb();
const redis = await startRedis({ persistence: 'always' });
process.stdout.write(`${JSON.stringify({ redis: { pid: redis.pid, dir: redis.dir }, mariadb: { pid: mariadb.pid, dir: mariadb.dir } })}\n`);
// The instances never keep Node alive by themselves: this timer does, until the test kills us.
if (process.argv[2] !== 'exit') setInterval(() => {}, 60_000);
