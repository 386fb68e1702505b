import { issueQueues } from '../core/issue-queue/queues.js';
import { createRedis } from '../core/redis.js';
import type { Lab } from '../lab.js';
import { IssueQueueConsumer } from './queue-consumer.js';
import { IssueStreamConsumer } from './stream-consumer.js';

/**
 * A consumer on the lab's pools, with the blocking Redis connection it needs of its own (none on
 * a cluster, where it reads each stream without blocking).
 */
export function startConsumer(lab: Lab, name?: string): IssueStreamConsumer {
  const blockingRedis = lab.config.REDIS_CLUSTER ? undefined : createRedis(lab.config.REDIS_URL, { autoPipelining: false, log: lab.log });
  const consumer = new IssueStreamConsumer({ ...lab, ...(blockingRedis ? { blockingRedis } : {}) }, name);
  consumer.start();
  return consumer;
}

/** incr-broker's consumer on the lab's pools: the messages of the broker strategies' RabbitMQ queue. */
export function startQueueConsumer(lab: Lab, name?: string): IssueQueueConsumer {
  const consumer = new IssueQueueConsumer({ ...lab, queues: issueQueues(lab.config.REDIS_KEY_PREFIX) }, name);
  consumer.start();
  return consumer;
}

/**
 * The queue consumer inside a server (CONSUMER_IN_PROCESS): from the start when ISSUE_STRATEGY uses
 * the broker, else from the first publish of this process, so that a lab that never issues through
 * a broker strategy never connects to RabbitMQ.
 */
export function startQueueConsumerWhenUsed(lab: Lab): { stop(): Promise<void> } {
  let consumer: IssueQueueConsumer | undefined;
  let stopped = false;
  const start = () => {
    if (!stopped) consumer ??= startQueueConsumer(lab);
  };
  if (lab.strategies[lab.defaultStrategy].uses.includes('broker')) start();
  else void lab.broker.used.then(start);
  return {
    async stop() {
      stopped = true;
      await consumer?.stop();
    },
  };
}
