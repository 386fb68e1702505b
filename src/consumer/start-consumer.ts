import { createRedis } from '../core/redis.js';
import type { Lab } from '../lab.js';
import { IssueStreamConsumer } from './stream-consumer.js';

/** A consumer on the lab's pools, with the blocking Redis connection it needs of its own. */
export function startConsumer(lab: Lab, name?: string): IssueStreamConsumer {
  const blockingRedis = createRedis(lab.config.REDIS_URL, { autoPipelining: false, log: lab.log });
  const consumer = new IssueStreamConsumer({ ...lab, blockingRedis }, name);
  consumer.start();
  return consumer;
}
