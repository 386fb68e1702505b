import type { Worker } from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';
import { LabError } from '../core/errors.js';

/**
 * `/metrics` for several server processes behind one port. A scrape lands on any one worker,
 * which asks the primary; the primary collects every worker's registry (and its own, where the
 * consumer runs) and sums them with prom-client's aggregator, so each scrape sees the whole
 * server, as one process would report it.
 */
type Message =
  | { type: 'coupon-lab:metrics:ask'; id: number }
  | { type: 'coupon-lab:metrics:answer'; id: number; text?: string; error?: string }
  | { type: 'coupon-lab:metrics:collect'; id: number }
  | { type: 'coupon-lab:metrics:collected'; id: number; metrics: unknown };

type MetricsJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

/**
 * How long a live worker may take to send its share. One that takes longer fails the scrape:
 * summing without its share would make every counter seem to fall, which Prometheus takes for
 * a restart. A worker that has exited or disconnected is left out: its counters are gone.
 */
const COLLECT_TIMEOUT_MS = 2_000;
/** How long a worker waits for the primary's answer before giving up on the scrape. */
const ASK_TIMEOUT_MS = 2 * COLLECT_TIMEOUT_MS + 1_000;

export interface WorkerMetrics {
  /** The sum over every process, asked of the primary. */
  whole: () => Promise<string>;
  /** Stops answering the primary: removes the listener of the channel. */
  stop(): void;
}

/** In a worker: answers the primary's collections, and returns how to ask it for the whole. */
export function workerMetrics(registry: Registry): WorkerMetrics {
  const waiting = new Map<number, (answer: Extract<Message, { type: 'coupon-lab:metrics:answer' }>) => void>();
  let nextId = 0;
  const listener = (message: Message) => {
    if (message.type === 'coupon-lab:metrics:collect') {
      registry.getMetricsAsJSON().then(
        (metrics) => send(process, { type: 'coupon-lab:metrics:collected', id: message.id, metrics }),
        () => undefined, // the primary's collection times out and the scrape fails there
      );
    } else if (message.type === 'coupon-lab:metrics:answer') {
      waiting.get(message.id)?.(message);
    }
  };
  process.on('message', listener);
  const whole = () =>
    new Promise<string>((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => settle({ type: 'coupon-lab:metrics:answer', id, error: 'the primary process did not answer' }), ASK_TIMEOUT_MS);
      function settle(answer: Extract<Message, { type: 'coupon-lab:metrics:answer' }>): void {
        clearTimeout(timer);
        waiting.delete(id);
        if (answer.text !== undefined) resolve(answer.text);
        else reject(new LabError('SERVICE_UNAVAILABLE', `metrics could not be collected: ${answer.error}`));
      }
      waiting.set(id, settle);
      send(process, { type: 'coupon-lab:metrics:ask', id });
    });
  return { whole, stop: () => process.off('message', listener) };
}

/**
 * In the primary: answers every worker's request with the sum of all, `own()` included, and
 * returns how to get that sum here (for METRICS_PORT). Called as soon as the workers are forked,
 * before any of them listens and can be scraped.
 */
export function serveClusterMetrics(workers: Worker[], own: () => Registry | undefined): () => Promise<string> {
  const collecting = new Map<number, (metrics: MetricsJson) => void>();
  let nextId = 0;

  async function collect(worker: Worker): Promise<MetricsJson | undefined> {
    if (worker.isDead() || !worker.isConnected()) return undefined;
    const id = nextId++;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const collected = new Promise<MetricsJson>((resolve) => collecting.set(id, resolve));
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`server process ${worker.process.pid} did not send its metrics within ${COLLECT_TIMEOUT_MS} ms`)),
        COLLECT_TIMEOUT_MS,
      );
      timer.unref();
    });
    send(worker, { type: 'coupon-lab:metrics:collect', id });
    return Promise.race([collected, timeout]).finally(() => {
      clearTimeout(timer);
      collecting.delete(id);
    });
  }

  async function whole(): Promise<string> {
    const shares = await Promise.all([...workers.map(collect), own()?.getMetricsAsJSON()]);
    return AggregatorRegistry.aggregate(shares.filter((share) => share !== undefined)).metrics();
  }

  for (const worker of workers) {
    worker.on('message', (message: Message) => {
      if (message.type === 'coupon-lab:metrics:collected') collecting.get(message.id)?.(message.metrics as MetricsJson);
      if (message.type !== 'coupon-lab:metrics:ask') return;
      whole().then(
        (text) => send(worker, { type: 'coupon-lab:metrics:answer', id: message.id, text }),
        (error: unknown) => send(worker, { type: 'coupon-lab:metrics:answer', id: message.id, error: String(error) }),
      );
    });
  }
  return whole;
}

/**
 * Sends if the channel is still open. A process that is stopping disconnects before it exits:
 * a send in between must not fail, as an unheard 'error' would end the process.
 */
function send(to: Worker | NodeJS.Process, message: Message): void {
  const ignore = () => undefined;
  if ('isConnected' in to) {
    if (to.isConnected()) to.send(message, undefined, undefined, ignore);
  } else if (to.connected) {
    to.send?.(message, undefined, undefined, ignore);
  }
}
