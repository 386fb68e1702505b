import cluster, { type Worker } from 'node:cluster';
import { once } from 'node:events';
import { Registry } from 'prom-client';
import type { Config } from '../core/config.js';
import { prepareDatabase } from '../core/db.js';
import type { Log } from '../core/log.js';
import { serveMetrics, type MetricsServer } from '../core/metrics-server.js';
import { startConsumer } from '../consumer/start-consumer.js';
import { createLab, type Lab } from '../lab.js';
import { serveClusterMetrics } from './cluster-metrics.js';

/** A server process ended before it listened; it has said why on stderr. */
export class WorkerExitedError extends Error {
  override readonly name = 'WorkerExitedError';
  constructor(readonly exitCode: number) {
    super(`a server process exited with ${exitCode} before listening`);
  }
}

export interface RunningCluster {
  url: string;
  /** Where `/metrics`, summed over every process, is served when METRICS_PORT is set. */
  metricsUrl: string | undefined;
  workers: Worker[];
  stop(): Promise<void>;
}

/**
 * Runs `instances` API server processes behind one address with node:cluster: the primary
 * migrates once, each worker re-runs the entry script and has its own pools and mutexes,
 * sharing only Redis and MySQL — the scale-out the in-process mutex cannot survive. The
 * stream consumer, if wanted, runs once, in the primary, which otherwise only hands out connections;
 * the broker's runs in each worker that publishes (see server.ts), as RabbitMQ hands each message to one.
 */
export async function startCluster(config: Config, instances: number, log: Log): Promise<RunningCluster> {
  if (config.MIGRATE_ON_START) await prepareDatabase(config.MYSQL_URL, log);
  const workers = Array.from({ length: instances }, () => cluster.fork({ MIGRATE_ON_START: 'false' }));
  const abandon = (error: unknown): never => {
    for (const worker of workers) if (!worker.isDead()) worker.process.kill('SIGTERM');
    throw error;
  };
  let lab: Lab | undefined; // the consumer's, once the workers listen
  const whole = serveClusterMetrics(workers, () => lab?.metrics.registry);
  const addresses = await Promise.all(
    workers.map(async (worker) => {
      const [address] = (await Promise.race([
        once(worker, 'listening'),
        once(worker, 'exit').then(([code]) => {
          throw new WorkerExitedError(code as number);
        }),
      ])) as [{ port: number }];
      return address;
    }),
  ).catch(abandon);
  const port = addresses[0]!.port; // workers listening on one port share it, port 0 included
  const metrics = await servedMetrics(config, whole).catch(abandon);
  lab = config.CONSUMER_IN_PROCESS ? createLab(config, { log }) : undefined;
  const consumer = lab && startConsumer(lab);
  let stopping = false;
  for (const worker of workers) {
    worker.on('exit', (code, signal) => {
      if (!stopping) log.error({ pid: worker.process.pid, code, signal }, 'a server process died');
    });
  }
  return {
    url: `http://127.0.0.1:${port}`,
    metricsUrl: metrics?.url,
    workers,
    async stop() {
      stopping = true;
      await metrics?.close();
      await Promise.all(
        workers
          .filter((w) => !w.isDead())
          .map((worker) => {
            const exited = once(worker, 'exit');
            worker.process.kill('SIGTERM');
            return exited;
          }),
      );
      await consumer?.stop();
      await lab?.close();
    },
  };
}

/** With METRICS_PORT, the primary serves the sum over every process there; the workers serve none. */
async function servedMetrics(config: Config, whole: () => Promise<string>): Promise<MetricsServer | undefined> {
  if (config.METRICS_PORT === undefined) return undefined;
  return serveMetrics({ metrics: whole, contentType: Registry.PROMETHEUS_CONTENT_TYPE }, config.METRICS_PORT);
}
