import { connect, type Channel, type ChannelModel } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kill, spawnBrokerConsumer, spawnServer, type ServerProcess } from '../harness/server-process.js';
import { startConsumer, startQueueConsumer } from '../src/consumer/start-consumer.js';
import { writeEntries } from '../src/consumer/issue-writer.js';
import { parseEntry, type IssueEntry } from '../src/core/issue-stream/entries.js';
import { issueQueues, rawIssue } from '../src/core/issue-queue/queues.js';
import { BROKER_STRATEGY_NAMES, STRATEGY_NAMES, usesBroker, type StrategyName } from '../src/strategies/names.js';
import { issuePath } from '../lab-client/http.js';
import { Tally } from '../lab-client/tally.js';
import { verifyCoupon } from '../lab-client/verdict.js';
import { expectErrorAnswer, startTestServer, useTestServer, waitFor } from './support/lab.js';

/**
 * The broker strategies on the shared RabbitMQ, in queues of this file's own (named after its key
 * prefix, deleted at the end). No consumer runs in this server: each test decides when one does,
 * and kills the processes it started itself, never RabbitMQ.
 */
const server = useTestServer({ CONSUMER_IN_PROCESS: 'false', ISSUE_STRATEGY: 'incr-broker' });
const users = (count: number) => Array.from({ length: count }, (_, i) => i + 1);

let connection: ChannelModel;
let channel: Channel;
beforeAll(async () => {
  connection = await connect(server.config.AMQP_URL);
  channel = await connection.createChannel();
});
afterAll(() => connection.close());

/** Messages of the work queue ready for a consumer: those delivered and not yet acknowledged are not counted. */
async function ready(): Promise<number> {
  return (await channel.checkQueue(issueQueues(server.config.REDIS_KEY_PREFIX).work)).messageCount;
}

it('lists as broker strategies exactly those that use RabbitMQ', () => {
  const using = STRATEGY_NAMES.filter((name) => server.lab.strategies[name].uses.includes('broker'));
  expect(using).toEqual([...BROKER_STRATEGY_NAMES]);
});

describe('a server killed between the count and the publish', () => {
  /**
   * Each message waits a minute between its count and its publish (BROKER_PUBLISH_DELAY_MS), and the
   * server is killed once every request has been counted: each one's two writes are cut in two. What
   * is lost is what the lab counts: told yes with no row (verifyCoupon), and places counted that no
   * row holds (pendingQuantity). An atomic admission and hand-off has no such gap: lua, killed the
   * same way, loses nothing, and that is what incr-broker's assertions would see if it were made atomic.
   */
  const cases: [StrategyName, { toldYes: number; lost: number; stranded: number; rows: number }][] = [
    ['incr-broker', { toldYes: 20, lost: 20, stranded: 20, rows: 0 }],
    ['incr-broker-confirm', { toldYes: 0, lost: 0, stranded: 20, rows: 0 }],
    ['lua', { toldYes: 20, lost: 0, stranded: 0, rows: 20 }],
  ];

  it.each(cases)('%s', async (strategy, expected) => {
    const spawned = await spawnServer({ ...server.config, PORT: 0, BROKER_PUBLISH_DELAY_MS: 60_000 });
    const couponId = await server.createCoupon({ totalQuantity: 100 });
    const tally = new Tally();
    const answers = users(20).map(async (userId) => tally.record(userId, await issue(spawned, strategy, couponId, userId)));
    await waitFor(async () => (await counted(strategy, couponId)) === 20, 'every request counted');
    if (strategy !== 'incr-broker-confirm') await Promise.all(answers); // those answer before their publish
    await kill(spawned, 'SIGKILL');
    await Promise.all(answers);

    const consumer = usesBroker(strategy) ? startQueueConsumer(server.lab) : startConsumer(server.lab);
    if (strategy === 'lua') await server.drained(couponId);
    await consumer.stop();
    expect(await ready()).toBe(0); // nothing reached RabbitMQ, and the server that would have published is gone

    const found = await verifyCoupon(server.lab.db, couponId, 100, tally.answers, tally.successfulUsers);
    const stranded = await server.lab.couponHooks.pending(couponId);
    expect({ toldYes: tally.answers.success, lost: found.lost, stranded, rows: found.rows }).toEqual(expected);
  });

  /** Places a request holds once it has been counted: incr-broker's INCR, or lua's admission (its requests set). */
  async function counted(strategy: StrategyName, couponId: number): Promise<number> {
    const { redis, keys } = server.lab;
    if (strategy === 'lua') return redis.scard(keys.couponRequests(couponId));
    return Number(await redis.get(keys.couponCount(couponId)));
  }
});

describe('a consumer that dies', () => {
  it('while its batch waits on MySQL: RabbitMQ hands the messages to the next consumer, which writes each once', async () => {
    const couponId = await server.createCoupon({ totalQuantity: 300 });
    await acceptConfirmed(couponId, 300);
    // The coupon's row lock held here: the consumer can take its messages but commit none of them.
    const trx = await server.lab.db.transaction();
    try {
      await trx('coupons').where({ id: couponId }).forUpdate().first();
      const dying = await spawnBrokerConsumer({ ...server.config, METRICS_PORT: 0 });
      await waitFor(async () => (await ready()) === 0, 'the consumer holds every message');
      await kill(dying, 'SIGKILL');
      await waitFor(async () => (await ready()) === 300, 'RabbitMQ takes back what the dead consumer held');
    } finally {
      await trx.rollback();
    }
    const fresh = startQueueConsumer(server.lab, 'fresh-after-kill');
    await server.drained(couponId);
    await fresh.stop();
    expect(await server.rows(couponId)).toEqual({ rows: 300, users: 300, issuedQuantity: 300 });
  });

  it('after the MySQL commit, before acknowledging: the messages delivered again add no row and no count', async () => {
    const couponId = await server.createCoupon({ totalQuantity: 200 });
    await acceptConfirmed(couponId, 200);
    // A consumer of its own: it takes every message, commits their rows, and goes without acknowledging.
    const dying = await connection.createChannel();
    const entries = await takeAll(dying, 200);
    expect(await writeEntries(server.lab.db, entries)).toMatchObject({ written: 200, revoked: 0, refused: [] });
    await dying.close(); // unacknowledged: RabbitMQ delivers them again
    await waitFor(async () => (await ready()) === 200, 'RabbitMQ takes back what the dead consumer held');

    const fresh = startQueueConsumer(server.lab, 'fresh-after-commit');
    await waitFor(async () => fresh.acknowledged === 200, 'the fresh consumer has acknowledged them all');
    await fresh.stop();
    expect(fresh.totals).toEqual({ written: 0, revoked: 0, parked: 0 });
    expect(await server.rows(couponId)).toEqual({ rows: 200, users: 200, issuedQuantity: 200 });
    expect(await ready()).toBe(0);
  });
});

describe('what the broker strategies leave in Redis', () => {
  it('their coupon terms, and no stream of the lua path for the stream consumer to read, changed or not', async () => {
    const couponId = await server.createCoupon({ totalQuantity: 10 });
    for (const strategy of BROKER_STRATEGY_NAMES) {
      expect(await server.lab.strategies[strategy].issue({ couponId, userId: strategy === 'incr-broker' ? 1 : 2 })).toMatchObject({ outcome: 'accepted' });
    }
    const { redis, keys } = server.lab;
    // A change of the coupon brings its terms up to date.
    expect((await server.request('PATCH', `/v1/coupons/${couponId}`, { body: { totalQuantity: 20 } })).status).toBe(200);
    expect(await redis.hget(keys.couponTerms(couponId), 'total')).toBe('20');
    // A registered stream is named in every read of every stream consumer until it is pruned,
    // and one that no request will ever fill is never pruned.
    expect(await redis.smembers(keys.streamRegistry)).not.toContain(String(couponId));
    expect(await redis.exists(keys.couponStream(couponId), keys.couponRequests(couponId))).toBe(0);
    // Their messages written, by the broker's consumer, so that the queue is empty for the next test.
    const consumer = startQueueConsumer(server.lab, 'leaves');
    await waitFor(async () => consumer.acknowledged === BROKER_STRATEGY_NAMES.length, 'both messages written');
    await consumer.stop();
    expect(await server.rows(couponId)).toEqual({ rows: 2, users: 2, issuedQuantity: 2 });
  });
});

describe('GET /health with a broker strategy as ISSUE_STRATEGY', () => {
  it('answers 200 while RabbitMQ answers', async () => {
    expect((await server.get('/health')).status).toBe(200);
  });

  it('answers 503 SERVICE_UNAVAILABLE when RabbitMQ does not (nothing listens on port 1)', async () => {
    const unreachable = await startTestServer({ ISSUE_STRATEGY: 'incr-broker', CONSUMER_IN_PROCESS: 'false', AMQP_URL: 'amqp://guest:guest@127.0.0.1:1' });
    try {
      expectErrorAnswer(await unreachable.get('/health'), 503, 'SERVICE_UNAVAILABLE');
    } finally {
      await unreachable.close();
    }
  });
});

describe('a message that can never be written', () => {
  it('goes to the dead queue with its reason, and the good ones beside it are written', async () => {
    const couponId = await server.createCoupon({ totalQuantity: 10 });
    await acceptConfirmed(couponId, 3);
    const { work, dead } = issueQueues(server.config.REDIS_KEY_PREFIX);
    channel.sendToQueue(work, Buffer.from('not an entry'));
    channel.sendToQueue(work, Buffer.from(JSON.stringify(['coupon', '999999999', 'user', '1', 'at', String(Date.now()), 'total', '1'])));
    await waitFor(async () => (await ready()) === 5, 'every message in the queue');

    const consumer = startQueueConsumer(server.lab, 'parks');
    await waitFor(async () => consumer.acknowledged === 5, 'every message handled');
    await consumer.stop();
    expect(consumer.totals).toEqual({ written: 3, revoked: 0, parked: 2 });
    expect(await server.rows(couponId)).toEqual({ rows: 3, users: 3, issuedQuantity: 3 });
    const parked = await takeRaw(dead, 2);
    expect(parked.map((message) => [message.content.toString(), message.properties.headers?.reason])).toEqual([
      ['not an entry', 'malformed message'],
      [expect.stringContaining('"999999999"'), 'no such coupon'],
    ]);
  });
});

/** Requests of users 1…n accepted through incr-broker-confirm in this process: each in the queue, confirmed, before its answer. */
async function acceptConfirmed(couponId: number, n: number): Promise<void> {
  const answers = await Promise.all(users(n).map((userId) => server.lab.strategies['incr-broker-confirm'].issue({ couponId, userId })));
  expect(answers.every((answer) => answer.outcome === 'accepted')).toBe(true);
}

async function issue(spawned: ServerProcess, strategy: StrategyName, couponId: number, userId: number): Promise<string> {
  try {
    const response = await fetch(`${spawned.url}${issuePath(strategy, couponId)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId }),
    });
    return response.ok ? 'success' : ((await response.json()) as { code: string }).code;
  } catch {
    return 'CONNECTION_ERROR'; // the server was killed before it answered
  }
}

/** Takes `n` messages of the work queue on `from` without acknowledging them, as entries. */
async function takeAll(from: Channel, n: number): Promise<IssueEntry[]> {
  const { work } = issueQueues(server.config.REDIS_KEY_PREFIX);
  const messages = await takeRaw(work, n, from);
  return messages.map((message, i) => parseEntry(rawIssue(work, String(i), message.content))!);
}

/** Takes `n` messages known to be in `queue` (acknowledged at once on this file's own channel). */
async function takeRaw(queue: string, n: number, from: Channel = channel) {
  const taken = [];
  for (let i = 0; i < n; i++) {
    const message = await from.get(queue, { noAck: from === channel });
    if (!message) throw new Error(`${queue} holds ${i} messages, not ${n}`);
    taken.push(message);
  }
  return taken;
}
