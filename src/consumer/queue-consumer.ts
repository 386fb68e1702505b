import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Channel, ConfirmChannel, ConsumeMessage } from 'amqplib';
import { closeBroker, connectBroker, type BrokerConnection } from '../core/broker.js';
import type { Config } from '../core/config.js';
import type { Db } from '../core/db.js';
import { parseEntry, type IssueEntry } from '../core/issue-stream/entries.js';
import { assertIssueQueues, rawIssue, type IssueQueues } from '../core/issue-queue/queues.js';
import type { Log } from '../core/log.js';
import type { Metrics } from '../core/metrics.js';
import { redactUrl } from '../core/redis.js';
import { writeEntries, type Parked } from './issue-writer.js';
import { countPersisted, type PersistOutcome } from './stream-consumer.js';

export interface QueueConsumerDeps {
  config: Config;
  db: Db;
  log: Log;
  metrics: Metrics;
  queues: IssueQueues;
}

/** What one connection delivers, until it closes. */
interface Session {
  connection: BrokerConnection;
  /** Where messages arrive and are acknowledged. */
  channel: Channel;
  /** Where messages that can never be written are published, confirmed before the originals are acknowledged. */
  dead: ConfirmChannel;
  inbox: ConsumeMessage[];
  closed: boolean;
}

const RETRY_AFTER_ERROR_MS = 500;
/** As the stream consumer's: after a small batch, let the next one gather more messages (see stream-consumer.ts). */
const LINGER_MS = 10;

/**
 * Writes what the broker strategies accepted into MySQL: the messages of their RabbitMQ work queue,
 * a batch per transaction, through the same writer and MySQL fence as the stream consumer. A batch is
 * acknowledged only after its commit: a consumer that dies before leaves it unacknowledged, and
 * RabbitMQ hands it to another (or to this one, reconnected). Writes are idempotent (the unique key),
 * so a message written twice is still one row. A message that can never be written goes to the dead
 * queue with its reason; a MySQL outage keeps the batch in hand and retries it, rather than sending
 * it back to the queue.
 */
export class IssueQueueConsumer {
  readonly name: string;
  readonly totals: PersistOutcome = { written: 0, revoked: 0, parked: 0 };
  /** Messages acknowledged: written (or found written, or parked) and done with. */
  acknowledged = 0;
  #stopping = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #problem = '';

  constructor(
    private readonly deps: QueueConsumerDeps,
    name = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
  ) {
    this.name = name;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /** Lets the batch in hand finish (or stay unacknowledged, for another consumer), then disconnects. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#notify();
    await this.#loop;
  }

  async #run(): Promise<void> {
    while (!this.#stopping) {
      let session: Session | undefined;
      try {
        session = await this.#open();
        await this.#consume(session);
      } catch (error) {
        if (this.#stopping) break;
        this.#report(error);
        await sleep(RETRY_AFTER_ERROR_MS);
      } finally {
        await closeBroker(session?.connection);
      }
    }
  }

  async #open(): Promise<Session> {
    const { config, queues, log } = this.deps;
    const connection = await connectBroker(config.AMQP_URL, log);
    try {
      const channel = await connection.createChannel();
      const dead = await connection.createConfirmChannel();
      for (const each of [channel, dead]) each.on('error', (error: Error) => log.warn({ error }, 'rabbitmq: a consumer channel failed'));
      await assertIssueQueues(channel, queues);
      // Two batches' worth: the next arrives while one is written.
      await channel.prefetch(config.CONSUMER_BATCH_SIZE * 2);
      const session: Session = { connection, channel, dead, inbox: [], closed: false };
      const close = () => {
        session.closed = true;
        this.#notify();
      };
      // Either channel gone ends the session: its messages cannot be acknowledged, or its bad ones parked.
      for (const each of [connection, channel, dead]) each.once('close', close);
      await channel.consume(queues.work, (message) => {
        // null: RabbitMQ cancelled the consumer (its queue was deleted).
        if (message) session.inbox.push(message);
        else close();
        this.#notify();
      });
      if (this.#problem) log.info({ url: redactUrl(config.AMQP_URL) }, 'rabbitmq: consuming again');
      this.#problem = '';
      return session;
    } catch (error) {
      await closeBroker(connection);
      throw error;
    }
  }

  /** Batch after batch, until the connection closes or the consumer stops. */
  async #consume(session: Session): Promise<void> {
    const batchSize = this.deps.config.CONSUMER_BATCH_SIZE;
    while (!this.#stopping && !session.closed) {
      const batch = session.inbox.splice(0, batchSize);
      if (batch.length === 0) {
        await new Promise<void>((resolve) => (this.#wake = resolve));
        continue;
      }
      await this.#persist(session, batch);
      if (session.inbox.length < batchSize) await sleep(LINGER_MS);
    }
  }

  /**
   * Writes the batch, then acknowledges it (every message up to its last, in one frame: they were
   * delivered in this order on this channel). A failure keeps it in hand and tries again, until it
   * is written or its channel is gone (RabbitMQ then delivers it again, to whichever consumer is left).
   */
  async #persist(session: Session, batch: ConsumeMessage[]): Promise<void> {
    for (;;) {
      try {
        await this.#write(session, batch);
        if (session.closed) return;
        session.channel.ack(batch.at(-1)!, true);
        this.acknowledged += batch.length;
        return;
      } catch (error) {
        if (session.closed || this.#stopping) return;
        this.deps.log.warn({ error, messages: batch.length }, 'queue consumer: batch failed; it stays unacknowledged and is tried again');
        await sleep(RETRY_AFTER_ERROR_MS);
      }
    }
  }

  async #write(session: Session, batch: ConsumeMessage[]): Promise<void> {
    const { queues, db } = this.deps;
    const byId = new Map(batch.map((message) => [String(message.fields.deliveryTag), message]));
    const issues: IssueEntry[] = [];
    const bad: Parked[] = [];
    for (const [id, message] of byId) {
      const entry = rawIssue(queues.work, id, message.content);
      const issue = parseEntry(entry);
      if (issue) issues.push(issue);
      else bad.push({ entry, reason: 'malformed message' });
    }
    const { written, revoked, refused } = await writeEntries(db, issues);
    bad.push(...refused);
    await this.#park(session, bad, byId);
    countPersisted(this.totals, this.deps.metrics, { written, revoked, parked: bad.length });
  }

  /** Publishes each bad message to the dead queue, as it came, with its reason; resolves once RabbitMQ has them all. */
  async #park(session: Session, bad: Parked[], byId: Map<string, ConsumeMessage>): Promise<void> {
    if (bad.length === 0) return;
    for (const { entry, reason } of bad) {
      this.deps.log.warn({ queue: entry.stream, id: entry.id, reason }, 'queue consumer: sent a message it cannot write to the dead queue');
      session.dead.sendToQueue(this.deps.queues.dead, byId.get(entry.id)!.content, { persistent: true, headers: { reason } });
    }
    await session.dead.waitForConfirms();
  }

  #notify(): void {
    this.#wake?.();
    this.#wake = undefined;
  }

  /** A connection problem, logged once per outage rather than at every attempt. */
  #report(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    if (message !== this.#problem) this.deps.log.warn({ url: redactUrl(this.deps.config.AMQP_URL), error }, 'rabbitmq: cannot consume; trying again');
    this.#problem = message;
  }
}
