import { execFile } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { requireBinary } from './binaries.js';
import { startRedis, type PrivateRedis } from './redis-instance.js';

const run = promisify(execFile);
/** How long the nodes may take to agree that every slot is served. */
const READY_TIMEOUT_MS = 30_000;

export interface PrivateRedisCluster {
  /**
   * Its nodes, each a private Redis that can be killed and started like any other: the masters
   * first, then their replicas (roles change once a replica takes over: ask the cluster).
   */
  readonly nodes: PrivateRedis[];
  /** REDIS_URL for the lab: every node, comma-separated, as seeds. */
  readonly url: string;
  /** Stops every node and removes their directories. */
  stop(): Promise<void>;
}

/**
 * A Redis Cluster of private nodes made with Debian's redis-cli (`--cluster create`), on free
 * ports: `masters` masters, each with `replicas` replicas (none by default), which take over a
 * master that fails, as a cluster's failover does. Resolves once every node reports
 * `cluster_state:ok` and every replica has caught up with its master.
 */
export async function startRedisCluster(masters = 3, { replicas = 0 }: { replicas?: number } = {}): Promise<PrivateRedisCluster> {
  const cli = await requireBinary('redis-cli', 'redis-tools');
  const started = await Promise.allSettled(Array.from({ length: masters * (1 + replicas) }, () => startRedis({ clusterNode: true })));
  const nodes = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const stop = async () => {
    await Promise.allSettled(nodes.map((node) => node.stop()));
  };
  try {
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    const addresses = nodes.map((node) => `127.0.0.1:${node.port}`);
    await run(cli, ['--cluster', 'create', ...addresses, '--cluster-replicas', String(replicas), '--cluster-yes']);
    await Promise.all(nodes.map((node) => clusterReady(node.port)));
    return { nodes, url: nodes.map((node) => node.url).join(','), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Polls CLUSTER INFO until the node sees every slot served, and, for a replica, until it is in sync with its master. */
export async function clusterReady(port: number): Promise<void> {
  const admin = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0 });
  admin.on('error', () => {});
  try {
    await admin.connect();
    const deadline = Date.now() + READY_TIMEOUT_MS;
    const ready = async () => (await admin.cluster('INFO')).includes('cluster_state:ok') && !/master_link_status:down/.test(await admin.info('replication'));
    while (!(await ready())) {
      if (Date.now() > deadline) throw new Error(`cluster node 127.0.0.1:${port} not ready within ${READY_TIMEOUT_MS / 1000} s`);
      await delay(50);
    }
  } finally {
    admin.disconnect();
  }
}
