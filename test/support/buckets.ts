import { performance } from 'node:perf_hooks';
import { bucketLayout, homeBucket, type Layout } from '../../src/strategies/lua-buckets/layout.js';
import type { HttpAnswer, TestServer } from './lab.js';

/** `count` user ids from `from` on whose home bucket is `bucket` of `buckets`: a crowd skewed onto one bucket. */
export function usersOfBucket(bucket: number, buckets: number, count: number, from = 1): number[] {
  const users: number[] = [];
  for (let user = from; users.length < count; user++) if (homeBucket(user, buckets) === bucket) users.push(user);
  return users;
}

/** The coupon's buckets as the server split them (its first request splits it). */
export async function layoutOf(server: TestServer, couponId: number): Promise<Layout> {
  const count = Number(await server.lab.redis.hget(server.lab.keys.couponBuckets(couponId), 'count'));
  if (!count) throw new Error(`coupon ${couponId} was never split by lua-buckets`);
  return bucketLayout(server.lab.keys, couponId, count);
}

export interface TimedAnswer {
  userId: number;
  sentAt: number;
  answeredAt: number;
  answer: HttpAnswer;
}

/** Every request at once, each answer with when it was sent and answered. */
export async function timedCrowd(server: TestServer, couponId: number, users: number[]): Promise<TimedAnswer[]> {
  return Promise.all(
    users.map(async (userId) => {
      const sentAt = performance.now();
      const answer = await server.post(`/v1/strategies/lua-buckets/coupons/${couponId}/issues`, { userId });
      return { userId, sentAt, answeredAt: performance.now(), answer };
    }),
  );
}

/**
 * Answers of COUPON_SOLD_OUT given while a place remained: answered before a request that was
 * then told yes had even been sent, so that place was free all along.
 */
export function soldOutWhileAvailable(answers: TimedAnswer[]): number {
  const lastYesSent = Math.max(...answers.filter((a) => a.answer.status === 202).map((a) => a.sentAt));
  return answers.filter((a) => a.answer.body?.code === 'COUPON_SOLD_OUT' && a.answeredAt < lastYesSent).length;
}
