import { afterAll, beforeAll, expect } from 'vitest';
import type { Config, Env } from '../../src/core/config.js';
import { deleteIssueQueues, issueQueues } from '../../src/core/issue-queue/queues.js';
import { createRedis, deleteKeysWithPrefix } from '../../src/core/redis.js';
import { usesBroker } from '../../src/strategies/names.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { drainOrThrow, streamBacklog } from '../../lab-client/drain.js';
import { createCouponOverHttp } from '../../lab-client/http.js';
import { countRows, type RowCount } from '../../lab-client/rows.js';
import { testConfig } from './config.js';
import { silentLog } from '../../src/core/log.js';

export interface TestServer extends RunningServer {
  config: Config;
  /** Creates a coupon over HTTP and returns its id. */
  createCoupon(body?: Record<string, unknown>): Promise<number>;
  post(path: string, body: unknown): Promise<HttpAnswer>;
  get(path: string): Promise<HttpAnswer>;
  /** Any request: a string or Buffer body is sent as it is, anything else as JSON. */
  request(method: string, path: string, options?: RequestOptions): Promise<HttpAnswer>;
  /** Rows in coupon_issues for the coupon, and how many distinct users hold them. */
  rows(couponId: number): Promise<RowCount>;
  /** Resolves once the consumer has written everything the lua path accepted for the coupon. */
  drained(couponId: number): Promise<void>;
  /** Stops the server and deletes the Redis keys and RabbitMQ queues it made. */
  close(): Promise<void>;
}

export interface HttpAnswer {
  status: number;
  body: any;
  headers: Headers;
}

export interface RequestOptions {
  body?: unknown;
  /** Sent as they are, after (and over) the JSON content type a body gets and the admin token. */
  headers?: Record<string, string>;
  /** Send the server's ADMIN_TOKEN, if it has one, as an admin client would (default true). */
  admin?: boolean;
}

export async function startTestServer(overrides: Env = {}): Promise<TestServer> {
  const config = testConfig(overrides);
  const server = await startServer(config);
  const { db } = server.lab;

  const adminHeaders: Record<string, string> = config.ADMIN_TOKEN ? { authorization: `Bearer ${config.ADMIN_TOKEN}` } : {};
  const request = async (method: string, path: string, { body, headers = {}, admin = true }: RequestOptions = {}): Promise<HttpAnswer> => {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(admin ? adminHeaders : {}), ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : Buffer.isBuffer(body) ? new Uint8Array(body) : JSON.stringify(body),
    });
    const text = await response.text();
    const json = text && response.headers.get('content-type')?.includes('json');
    return { status: response.status, body: json ? JSON.parse(text) : text, headers: response.headers };
  };

  return {
    ...server,
    config,
    post: (path, body) => request('POST', path, { body }),
    get: (path) => request('GET', path),
    request,
    createCoupon: (body = {}) => createCouponOverHttp(server.url, { title: 'test coupon', totalQuantity: 100, ...body }, config.ADMIN_TOKEN),
    rows: (couponId) => countRows(db, couponId),
    drained: async (couponId) => void (await drainOrThrow(streamBacklog(server.lab, couponId), couponId, { timeoutMs: 30_000, pollMs: 20 })),
    async close() {
      await server.stop();
      const redis = createRedis(config.REDIS_URL, { autoPipelining: false, log: silentLog, cluster: config.REDIS_CLUSTER });
      await deleteKeysWithPrefix(redis, config.REDIS_KEY_PREFIX).finally(() => redis.disconnect());
      // Only a server that connected to RabbitMQ, or consumed from it from the start, declared its queues.
      const declared = server.lab.broker.connectedOnce || (usesBroker(config.ISSUE_STRATEGY) && config.CONSUMER_IN_PROCESS);
      if (declared) await deleteIssueQueues(config.AMQP_URL, issueQueues(config.REDIS_KEY_PREFIX));
    },
  };
}

/**
 * A test server started before the tests of the calling file or describe block, and stopped after
 * them (its Redis keys deleted, unless it shares another server's: `keys: 'keep'`). `overrides`
 * may be a function, read once the servers started before it are up (another server's prefix).
 * Used before its beforeAll has run, it throws.
 */
export function useTestServer(overrides: Env | (() => Env) = {}, { keys = 'delete' }: { keys?: 'delete' | 'keep' } = {}): TestServer {
  let started: TestServer | undefined;
  beforeAll(async () => {
    started = await startTestServer(typeof overrides === 'function' ? overrides() : overrides);
  });
  afterAll(async () => {
    await (keys === 'delete' ? started?.close() : started?.stop());
  });
  return new Proxy({} as TestServer, {
    get(_target, property) {
      if (!started) throw new Error('a test server was used before the beforeAll that starts it');
      return Reflect.get(started, property);
    },
  });
}

/** A server on the lab's MySQL whose Redis cannot be reached (nothing listens on port 1). */
export function useServerWithoutRedis(): TestServer {
  return useTestServer({ REDIS_URL: 'redis://127.0.0.1:1', CONSUMER_IN_PROCESS: 'false' }, { keys: 'keep' });
}

/** An ISO 8601 time `offsetMs` from now; with HOUR, the windows the tests give coupons. */
export const iso = (offsetMs: number): string => new Date(Date.now() + offsetMs).toISOString();
export const HOUR = 3_600_000;

/** An error answer must name its code, say what happened and never leak a stack trace. */
export function expectErrorAnswer(answer: HttpAnswer, status: number, code: string): void {
  expect({ status: answer.status, code: answer.body?.code }).toEqual({ status, code });
  expect(typeof answer.body.message).toBe('string');
  expect(JSON.stringify(answer.body)).not.toMatch(/\n\s+at |stack/);
}

/** Polls a condition until it holds (or fails after a deadline): awaiting a state, not sleeping. */
export async function waitFor(condition: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Sends all requests at once and tallies the answers by status code or error code. */
export async function crowd(requests: (() => Promise<HttpAnswer>)[]): Promise<Record<string, number>> {
  const answers = await Promise.all(requests.map((send) => send()));
  const tally: Record<string, number> = {};
  for (const { status, body } of answers) {
    const key = status < 300 ? String(status) : String(body?.code ?? status);
    tally[key] = (tally[key] ?? 0) + 1;
  }
  return tally;
}
