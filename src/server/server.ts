import cluster from 'node:cluster';
import { once } from 'node:events';
import { createServer, type ServerOptions } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../core/config.js';
import { prepareDatabase } from '../core/db.js';
import type { Log } from '../core/log.js';
import { serveMetrics, type MetricsServer } from '../core/metrics-server.js';
import type { IssueStreamConsumer } from '../consumer/stream-consumer.js';
import { startConsumer, startQueueConsumerWhenUsed } from '../consumer/start-consumer.js';
import { createLab, type Lab } from '../lab.js';
import { createApp } from './app.js';
import { adoptHttpClasses } from './express-classes.js';
import { workerMetrics, type WorkerMetrics } from './cluster-metrics.js';

export interface RunningServer {
  url: string;
  address: AddressInfo;
  /** Where `/metrics` is served when METRICS_PORT puts it on a port of its own. */
  metricsUrl: string | undefined;
  lab: Lab;
  consumer: IssueStreamConsumer | undefined;
  /** Stops accepting, lets in-flight requests and the consumer's batch finish, closes pools. */
  stop(): Promise<void>;
}

const GRACE_MS = 10_000;

/**
 * The timeouts that close connections a client leaves quiet (see config.ts). Node checks the
 * headers and request timeouts at an interval (30 s by default, so a 10 s timeout could take 40 s):
 * a quarter of the headers timeout cuts a slow client within a quarter of its timeout past it.
 */
function serverOptions(config: Config): ServerOptions {
  return {
    keepAliveTimeout: config.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    headersTimeout: config.HTTP_HEADERS_TIMEOUT_MS,
    requestTimeout: config.HTTP_REQUEST_TIMEOUT_MS,
    connectionsCheckingInterval: Math.ceil(config.HTTP_HEADERS_TIMEOUT_MS / 4),
  };
}

/** `log`: the process's logger, if it has one already. */
export async function startServer(config: Config, options: { log?: Log } = {}): Promise<RunningServer> {
  const lab = createLab(config, options);
  if (config.MIGRATE_ON_START) await prepareDatabase(config.MYSQL_URL, lab.log);
  const { consumer, queueConsumer } = inProcessConsumers(lab);
  const cluster = clusterMetrics(lab);
  let metrics: MetricsServer | undefined;
  try {
    metrics = await ownMetricsPort(lab);
    const metricsText = lab.config.METRICS_PORT === undefined ? (cluster?.whole ?? (() => lab.metrics.registry.metrics())) : undefined;
    const app = createApp(lab, { metricsText });
    const server = createServer({ ...serverOptions(config), ...adoptHttpClasses(app) }, app).listen(config.PORT, '0.0.0.0');
    await once(server, 'listening'); // rejects with the 'error' event: a port in use, say
    const address = server.address() as AddressInfo;

    let stopping: Promise<void> | undefined;
    const stop = () =>
      (stopping ??= (async () => {
        const closed = new Promise((resolve) => server.close(resolve));
        server.closeIdleConnections();
        const force = setTimeout(() => server.closeAllConnections(), GRACE_MS).unref();
        await closed;
        clearTimeout(force);
        await metrics?.close();
        cluster?.stop();
        await Promise.all([consumer?.stop(), queueConsumer?.stop()]);
        await lab.close();
      })());

    return { url: `http://127.0.0.1:${address.port}`, address, metricsUrl: metrics?.url, lab, consumer, stop };
  } catch (error) {
    await metrics?.close();
    cluster?.stop();
    await Promise.all([consumer?.stop(), queueConsumer?.stop()]);
    await lab.close();
    throw error;
  }
}

/**
 * The consumers inside this server (CONSUMER_IN_PROCESS). The stream's runs in one process: with
 * `--instances`, the primary runs it (cluster.ts), not the workers. The broker's runs in each process
 * from its first publish, so that every worker that publishes has one.
 */
function inProcessConsumers(lab: Lab) {
  if (!lab.config.CONSUMER_IN_PROCESS) return { consumer: undefined, queueConsumer: undefined };
  return { consumer: cluster.isWorker ? undefined : startConsumer(lab), queueConsumer: startQueueConsumerWhenUsed(lab) };
}

/**
 * A worker of several behind one port answers `/metrics` for all of them (see cluster-metrics.ts),
 * and joins the primary's collections either way.
 */
function clusterMetrics(lab: Lab): WorkerMetrics | undefined {
  return cluster.isWorker ? workerMetrics(lab.metrics.registry) : undefined;
}

/** `/metrics` on METRICS_PORT; in a cluster, the primary serves it for all (see cluster.ts). */
async function ownMetricsPort(lab: Lab): Promise<MetricsServer | undefined> {
  const port = lab.config.METRICS_PORT;
  return port === undefined || cluster.isWorker ? undefined : serveMetrics(lab.metrics.registry, port);
}
