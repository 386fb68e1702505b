import { once } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What a scrape answers: a prom-client Registry is one; the cluster's primary makes one of the sum. */
export interface MetricsSource {
  metrics(): Promise<string>;
  contentType: string;
}

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

/**
 * `GET /metrics` on a port of its own (METRICS_PORT): the consumer run by itself, or an API server
 * that keeps its metrics off the port clients use. Plain node:http, as one route needs no framework.
 */
export async function serveMetrics(source: MetricsSource, port: number): Promise<MetricsServer> {
  const server = createServer((req, res) => {
    if (req.url?.split('?')[0] !== '/metrics') return sendError(res, 404, 'ROUTE_NOT_FOUND', `no route for ${req.method} ${req.url}`);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return sendError(res, 405, 'METHOD_NOT_ALLOWED', `${req.method} is not allowed on /metrics; it takes GET, HEAD`);
    }
    source.metrics().then(
      (text) => res.writeHead(200, { 'content-type': source.contentType }).end(text),
      () => sendError(res, 503, 'SERVICE_UNAVAILABLE', 'metrics could not be collected'),
    );
  });
  server.listen(port, '0.0.0.0');
  await once(server, 'listening'); // rejects on 'error': a port in use, say
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}/metrics`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ code, message }));
}
