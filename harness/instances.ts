/**
 * Private Redis, MariaDB and RabbitMQ instances for fault injection.
 *
 * Faults (kill, pause, restart) go to these, never to the shared services on :6379, :3306 and :5672.
 * Each instance runs Debian's own binary on a port of its own (kept across restarts), with its
 * data in `os.tmpdir()/coupon-lab-faults-*`, and is gone with its directory after `stop()` —
 * or, if nobody calls it, as soon as this Node process ends, however it ends (see guarded-dir.ts).
 *
 *   const redis = await startRedis({ persistence: 'always' });
 *   try { … await redis.kill(); await redis.start(); … } finally { await redis.stop(); }
 */
export { startRedis, type PrivateRedis, type RedisPersistence } from './redis-instance.js';
export { clusterReady, startRedisCluster, type PrivateRedisCluster } from './redis-cluster.js';
export { startMariadb, type MariadbOptions, type PrivateMariadb } from './mariadb-instance.js';
export { startRabbitmq, type PrivateRabbitmq } from './rabbitmq-instance.js';
export { stopAllInstances } from './supervised-server.js';
export { MissingBinaryError } from './binaries.js';
