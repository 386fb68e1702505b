import type { Channel } from 'amqplib';
import { closeBroker, connectBroker } from '../broker.js';
import type { RawEntry } from '../issue-stream/entries.js';
import { silentLog } from '../log.js';

/**
 * The broker strategies' hand-off: the RabbitMQ queues they publish to and their consumer drains,
 * and the messages' shape. What both sides import, as the lua path and its consumer share the
 * issue stream's entries (../issue-stream).
 */
export interface IssueQueues {
  /** Accepted requests, one message each, until a consumer has written them to MySQL. */
  work: string;
  /** Messages that can never be written, each with the reason in its `reason` header, for an operator to look at. */
  dead: string;
}

/** Named after REDIS_KEY_PREFIX, so that two labs (and each test, each bench run) have queues of their own. */
export function issueQueues(prefix: string): IssueQueues {
  return { work: `${prefix}incr-broker.issues`, dead: `${prefix}incr-broker.dead` };
}

/**
 * Quorum queues: durable and replicated (Raft) on every node of a cluster, each message acknowledged
 * by itself, and an unacknowledged one handed to another consumer once its own is gone. A stream
 * would keep the messages as a log read by offset: no acknowledgement per message and no redelivery
 * of what a dead consumer held, which the consumer relies on (see docs/strategies.md).
 */
const QUORUM = { durable: true, arguments: { 'x-queue-type': 'quorum' } };

/** Declares both queues, or checks they are what they should be if they exist: idempotent. */
export async function assertIssueQueues(channel: Channel, queues: IssueQueues): Promise<void> {
  await channel.assertQueue(queues.work, QUORUM);
  await channel.assertQueue(queues.dead, QUORUM);
}

/** Deletes both queues and what they hold, on a connection of its own: when a bench run or a test is done with its own. */
export async function deleteIssueQueues(url: string, queues: IssueQueues): Promise<void> {
  const connection = await connectBroker(url, silentLog);
  try {
    const channel = await connection.createChannel();
    await channel.deleteQueue(queues.work);
    await channel.deleteQueue(queues.dead);
  } finally {
    await closeBroker(connection);
  }
}

/**
 * A message's body is the issue stream's entry, its fields as a JSON array (`["coupon","7","user",
 * "42","at","…","total","100"]`): both hand-offs carry the same entry, and one parser checks both.
 */
export function encodeIssue(fields: readonly string[]): Buffer {
  return Buffer.from(JSON.stringify(fields));
}

/**
 * A message as an entry whose fields are not yet trusted (parseEntry checks them, as for the
 * stream's): its body as one field when it is not a JSON list of strings, so that it parks as it came.
 */
export function rawIssue(queue: string, id: string, content: Buffer): RawEntry {
  let fields: unknown;
  try {
    fields = JSON.parse(content.toString('utf8'));
  } catch {
    fields = undefined;
  }
  const strings = Array.isArray(fields) && fields.every((field) => typeof field === 'string');
  return { stream: queue, id, fields: strings ? (fields as string[]) : [content.toString('utf8')] };
}
