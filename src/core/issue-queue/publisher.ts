import { setTimeout as sleep } from 'node:timers/promises';
import type { ConfirmChannel } from 'amqplib';
import { closeBroker, connectBroker, type BrokerConnection } from '../broker.js';
import { ServiceUnavailableError } from '../errors.js';
import type { Log } from '../log.js';
import { redactUrl } from '../redis.js';
import { assertIssueQueues, encodeIssue, type IssueQueues } from './queues.js';

export interface PublisherOptions {
  /** AMQP_URL. */
  url: string;
  queues: IssueQueues;
  log: Log;
  /** BROKER_PUBLISH_DELAY_MS: a test-only pause before each publish (config.ts). */
  delayMs: number;
}

/**
 * Publishes accepted requests to the work queue, persistent, on a confirm channel: each publish
 * resolves once RabbitMQ has the message durably (a quorum queue confirms once a majority wrote it),
 * and fails if it was refused or the connection went before the confirm came (the message may or may
 * not be there: nobody can tell). The connection is opened at the first publish, so that a lab that
 * never uses the broker never connects, and opened again by the publish after one it lost (or after
 * its channel closed on its own), so no publish waits for RabbitMQ to come back. While nothing
 * listens at AMQP_URL, each publish fails at once. While the broker is there but does not answer
 * (paused, cut off), a publish waits until connecting times out, or, on a connection opened before,
 * until the heartbeats call it dead (broker.ts), and then fails.
 */
export class IssuePublisher {
  /** Resolves at the first publish: an in-process consumer starts then (see start-consumer.ts). */
  readonly used: Promise<void>;
  /** True once it has connected (and so declared its queues). */
  connectedOnce = false;
  #markUsed!: () => void;
  #channel: Promise<ConfirmChannel> | undefined;
  #connection: BrokerConnection | undefined;
  #closed = false;
  /** The last connection problem reported, so that an outage is logged once, not once per publish. */
  #problem = '';

  constructor(private readonly options: PublisherOptions) {
    this.used = new Promise((resolve) => (this.#markUsed = resolve));
  }

  async publish(fields: readonly string[]): Promise<void> {
    this.#markUsed();
    if (this.options.delayMs > 0) await sleep(this.options.delayMs);
    const channel = await this.#open();
    await new Promise<void>((resolve, reject) => {
      const failed = (cause: unknown) => reject(new ServiceUnavailableError('broker', cause));
      try {
        const confirmed = (error: unknown) => (error ? failed(error) : resolve());
        channel.sendToQueue(this.options.queues.work, encodeIssue(fields), { persistent: true, contentType: 'application/json' }, confirmed);
      } catch (error) {
        failed(error); // the channel closed since it was opened
      }
    });
  }

  /** Connects if no connection is open: whether RabbitMQ answers this publisher now (GET /health). */
  async ping(): Promise<void> {
    await this.#open();
  }

  /** Closes the connection; publishes still waiting for their confirm fail. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#channel?.catch(() => undefined);
    await closeBroker(this.#connection);
  }

  #open(): Promise<ConfirmChannel> {
    if (this.#closed) return Promise.reject(new ServiceUnavailableError('broker', new Error('the publisher is closed')));
    if (!this.#channel) {
      const opening = this.#connect().catch((error: unknown) => {
        if (this.#channel === opening) this.#channel = undefined; // the next publish tries again
        this.#report(error);
        throw new ServiceUnavailableError('broker', error);
      });
      this.#channel = opening;
    }
    return this.#channel;
  }

  async #connect(): Promise<ConfirmChannel> {
    const { url, queues, log } = this.options;
    const connection = await connectBroker(url, log);
    try {
      const channel = await connection.createConfirmChannel();
      channel.on('error', (error: Error) => log.warn({ error }, 'rabbitmq: the publishing channel failed'));
      await assertIssueQueues(channel, queues);
      const current = this.#channel;
      const forget = () => {
        if (this.#channel === current) this.#channel = undefined;
      };
      // A channel can close without its connection (a channel error): every later publish on it
      // would fail. The next one opens both again, so this connection goes too.
      channel.once('error', forget);
      channel.once('close', () => {
        forget();
        void closeBroker(connection);
      });
      connection.once('close', (error?: Error) => {
        forget();
        if (error) this.#report(error);
      });
      this.#connection = connection;
      this.connectedOnce = true;
      if (this.#problem) log.info({ url: redactUrl(url) }, 'rabbitmq: publishing again');
      this.#problem = '';
      return channel;
    } catch (error) {
      await closeBroker(connection);
      throw error;
    }
  }

  #report(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    if (message !== this.#problem) this.options.log.warn({ url: redactUrl(this.options.url), error }, 'rabbitmq: cannot publish');
    this.#problem = message;
  }
}
