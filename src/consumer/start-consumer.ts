import { createRedis } from '../core/redis.js';
import type { Lab } from '../lab.js';
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
