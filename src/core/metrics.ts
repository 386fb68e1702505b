import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type Metric } from 'prom-client';

/**
 * What a server or consumer process exports on `/metrics`, in Prometheus's text format. One
 * registry per lab (not prom-client's global one), so a test or bench running several labs in
 * one process counts each apart. Every name starts with `coupon_lab_`, except Node's own
 * process metrics (`process_*`, `nodejs_*`), which keep the names dashboards know them by.
 */
export interface Metrics {
  readonly registry: Registry;
  /** Every issue request a strategy answered or failed, by how. */
  readonly issues: Counter<'strategy' | 'outcome' | 'code'>;
  /** Time from the strategy's start to its answer (or failure). */
  readonly issueSeconds: Histogram<'strategy' | 'outcome'>;
  /** Time a request waited for its lock: a mutex, the Redis lock, or the MySQL row lock. */
  readonly lockWaitSeconds: Histogram<'strategy'>;
  /** Attempts made again after losing a race (an optimistic compare-and-set beaten to it). */
  readonly retries: Counter<'strategy'>;
  /** Messages RabbitMQ did not confirm after their request was answered yes (incr-broker). */
  readonly handOffFailures: Counter<'strategy'>;
  /** Rows the consumer inserted into MySQL. */
  readonly rowsWritten: Counter;
  /** Accepted requests the consumer revoked: no place was left for them under their quantity. */
  readonly entriesRevoked: Counter;
  /** Entries the consumer could never write and moved to the parked stream. */
  readonly entriesParked: Counter;
  /**
   * Reports the consumer's lag, read from `source` at scrape time; returns how to stop. Until a
   * consumer calls it, the lag gauges are absent: a process without a consumer has no lag to tell,
   * and must not claim one of 0. A lag that cannot be read (Redis down) is NaN, not 0.
   */
  watchConsumerLag(source: () => Promise<ConsumerLag>): () => void;
}

export interface ConsumerLag {
  /** Entries accepted by the lua path and not yet written to MySQL, over every stream. */
  pending: number;
  /** Age of the oldest of them in seconds; 0 when there are none. */
  oldestAgeSeconds: number;
}

/** The names this lab exports besides Node's default ones; the Grafana dashboard uses only these. */
export const METRIC_NAMES = {
  issues: 'coupon_lab_issue_requests_total',
  issueSeconds: 'coupon_lab_issue_duration_seconds',
  lockWaitSeconds: 'coupon_lab_lock_wait_seconds',
  retries: 'coupon_lab_issue_retries_total',
  handOffFailures: 'coupon_lab_broker_unconfirmed_total',
  rowsWritten: 'coupon_lab_consumer_rows_written_total',
  entriesRevoked: 'coupon_lab_consumer_entries_revoked_total',
  entriesParked: 'coupon_lab_consumer_entries_parked_total',
  pending: 'coupon_lab_consumer_pending_entries',
  oldestPendingAge: 'coupon_lab_consumer_oldest_pending_age_seconds',
} as const;

/** From half a millisecond (a lua answer) to ten seconds (LOCK_WAIT_MS, the longest a lock is waited for). */
const SECONDS_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const metrics: Metrics = {
    registry,
    issues: new Counter({
      name: METRIC_NAMES.issues,
      help: 'Issue requests by strategy and result: outcome is issued, accepted, refused or failed; code the refusal or error code (ISSUED, ACCEPTED for successes).',
      labelNames: ['strategy', 'outcome', 'code'] as const,
      registers: [registry],
    }),
    issueSeconds: new Histogram({
      name: METRIC_NAMES.issueSeconds,
      help: 'Time a strategy took to answer an issue request, by strategy and outcome.',
      labelNames: ['strategy', 'outcome'] as const,
      buckets: SECONDS_BUCKETS,
      registers: [registry],
    }),
    lockWaitSeconds: new Histogram({
      name: METRIC_NAMES.lockWaitSeconds,
      help: 'Time an issue request waited until it held its lock (in-process mutex, Redis lock, or the SELECT … FOR UPDATE of the coupon row); waits that timed out are counted as LOCK_TIMEOUT in coupon_lab_issue_requests_total.',
      labelNames: ['strategy'] as const,
      buckets: SECONDS_BUCKETS,
      registers: [registry],
    }),
    retries: new Counter({
      name: METRIC_NAMES.retries,
      help: 'Issue attempts made again after losing a race: an optimistic compare-and-set another request won first. Divided by the successes: what contention costs.',
      labelNames: ['strategy'] as const,
      registers: [registry],
    }),
    handOffFailures: new Counter({
      name: METRIC_NAMES.handOffFailures,
      help: 'Messages of accepted requests that RabbitMQ did not confirm (refused, or the connection lost first), after the request was answered yes: each may be a winner who never gets the coupon (incr-broker).',
      labelNames: ['strategy'] as const,
      registers: [registry],
    }),
    rowsWritten: new Counter({
      name: METRIC_NAMES.rowsWritten,
      help: 'Rows the consumers inserted into MySQL (accepted requests of lua and of the broker strategies made durable).',
      registers: [registry],
    }),
    entriesRevoked: new Counter({
      name: METRIC_NAMES.entriesRevoked,
      help: 'Accepted requests the consumers revoked instead of writing, as no place was left under their quantity: Redis had admitted more than MySQL holds room for, having lost part of its state. Each is in coupon_revocations.',
      registers: [registry],
    }),
    entriesParked: new Counter({
      name: METRIC_NAMES.entriesParked,
      help: "Entries the consumers could never write: moved to the parked stream (lua), or to the broker's dead queue.",
      registers: [registry],
    }),
    watchConsumerLag: (source) => lag.watch(source),
  };
  const lag = lagGauges(registry);
  return metrics;
}

/** Read from Redis at scrape time, rather than kept up to date on every batch. */
function lagGauges(registry: Registry) {
  let source: (() => Promise<ConsumerLag>) | undefined;
  let registered = false;
  const gauge = (name: string, help: string, pick: (lag: ConsumerLag) => number): Metric =>
    new Gauge({
      name,
      help,
      registers: [registry],
      // Every consumer process reports the same streams: summing them would count them twice.
      aggregator: 'max',
      async collect() {
        const lag = await source?.().catch(() => undefined);
        this.set(lag ? pick(lag) : NaN);
      },
    });
  return {
    watch(next: () => Promise<ConsumerLag>): () => void {
      source = next;
      if (!registered) {
        registered = true;
        gauge(METRIC_NAMES.pending, 'Entries accepted by the lua strategy and not yet written to MySQL, over every stream.', (lag) => lag.pending);
        gauge(METRIC_NAMES.oldestPendingAge, 'Age in seconds of the oldest entry not yet written to MySQL (0 when none).', (lag) => lag.oldestAgeSeconds);
      }
      return () => {
        if (source === next) source = undefined;
      };
    },
  };
}
