import { startMariadb, startRabbitmq, startRedis } from '../../harness/instances.js';

/**
 * Run by test/private-instances.test.ts as a process of its own: starts a private Redis, MariaDB
 * and RabbitMQ, prints their pids and directories as one JSON line, and never calls stop(),
 * which is the point. `wait` (the default) then waits to be killed; `exit` lets the program end.
 */
// Redis last: whatever its start leaves pending (a client, a timer) is still pending when we print.
const [mariadb, rabbitmq] = await Promise.all([startMariadb(), startRabbitmq()]);
const redis = await startRedis({ persistence: 'always' });
const started = { redis, mariadb, rabbitmq };
process.stdout.write(`${JSON.stringify(Object.fromEntries(Object.entries(started).map(([name, { pid, dir }]) => [name, { pid, dir }])))}\n`);
// The instances never keep Node alive by themselves: this timer does, until the test kills us.
if (process.argv[2] !== 'exit') setInterval(() => {}, 60_000);
