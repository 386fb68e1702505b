import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/core/config.js';
import { STRATEGY_NAMES } from '../src/strategies/index.js';
import { expectErrorAnswer, HOUR, iso, useServerWithoutRedis, useTestServer, type HttpAnswer } from './support/lab.js';

const server = useTestServer();

describe('coupons', () => {
  it('are created with every field and read back with issued and pending counts', async () => {
    const created = await server.post('/v1/coupons', {
      title: 'Launch week',
      totalQuantity: 10,
      discountAmount: 5000,
      minAvailableAmount: 20000,
      issueStartAt: iso(-HOUR),
      issueEndAt: iso(HOUR),
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ title: 'Launch week', totalQuantity: 10, issuedQuantity: 0, pendingQuantity: 0, discountAmount: 5000 });

    const read = await server.get(`/v1/coupons/${created.body.id}`);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ id: created.body.id, issuedQuantity: 0, pendingQuantity: 0 });
    expect(new Date(read.body.issueEndAt).getTime()).toBe(new Date(created.body.issueEndAt).getTime());
  });

  it.each([
    ['no title', { totalQuantity: 1 }],
    ['a blank title', { title: '  ', totalQuantity: 1 }],
    ['no quantity', { title: 't' }],
    ['a zero quantity', { title: 't', totalQuantity: 0 }],
    ['a fractional quantity', { title: 't', totalQuantity: 1.5 }],
    ['a quantity as text', { title: 't', totalQuantity: '10' }],
    ['a negative discount', { title: 't', totalQuantity: 1, discountAmount: -1 }],
    ['a date that is not one', { title: 't', totalQuantity: 1, issueStartAt: 'tomorrow' }],
    ['a window that ends before it starts', { title: 't', totalQuantity: 1, issueStartAt: iso(HOUR), issueEndAt: iso(0) }],
    ['a window that ends as it starts', { title: 't', totalQuantity: 1, issueStartAt: iso(HOUR), issueEndAt: iso(HOUR) }],
    ['a misspelt field', { title: 't', totalQuantity: 1, discount: 500 }],
    // Dates MySQL's DATETIME cannot hold, or mysql2 would read back as another year.
    ['an end in year 10000 once in UTC', { title: 't', totalQuantity: 1, issueEndAt: '9999-12-31T23:59:59-01:00' }],
    ['an end just past 9999 in UTC', { title: 't', totalQuantity: 1, issueEndAt: '9999-12-31T23:00:00.000-01:00' }],
    ['a start just before 1000 in UTC', { title: 't', totalQuantity: 1, issueStartAt: '0999-12-31T23:59:59.999Z' }],
    ['a start before 1000 once in UTC', { title: 't', totalQuantity: 1, issueStartAt: '1000-01-01T00:30:00+01:00' }],
    ['a start in year 1', { title: 't', totalQuantity: 1, issueStartAt: '0001-01-01T00:00:00Z' }],
  ])('are refused with %s, and nothing is written', async (_case, body) => {
    const before = await server.lab.db('coupons').count({ n: '*' });
    expectErrorAnswer(await server.post('/v1/coupons', body), 400, 'INVALID_REQUEST');
    expect(await server.lab.db('coupons').count({ n: '*' })).toEqual(before);
  });

  it.each([
    ['in UTC', '1000-01-01T00:00:00.000Z', '9999-12-31T23:59:59.999Z'],
    ['with offsets', '0999-12-31T23:00:00-01:00', '9999-12-31T23:59:59.999+00:00'],
  ])('keep window bounds at the edges of the range (%s), read back as sent, and issue inside them', async (_case, start, end) => {
    const couponId = await server.createCoupon({ totalQuantity: 5, issueStartAt: start, issueEndAt: end });
    const read = await server.get(`/v1/coupons/${couponId}`);
    expect(read.body).toMatchObject({ issueStartAt: '1000-01-01T00:00:00.000Z', issueEndAt: '9999-12-31T23:59:59.999Z' });
    expect((await server.post(`/v1/strategies/lua/coupons/${couponId}/issues`, { userId: 1 })).status).toBe(202);
    expect((await server.post(`/v1/strategies/record-lock/coupons/${couponId}/issues`, { userId: 2 })).status).toBe(201);
  });

  it('that do not exist answer 404', async () => {
    expectErrorAnswer(await server.get('/v1/coupons/999999999999'), 404, 'COUPON_NOT_FOUND');
  });
});

describe.each(STRATEGY_NAMES)('issuing through %s', (strategy) => {
  const issue = (couponId: number | string, body: unknown) => server.post(`/v1/strategies/${strategy}/coupons/${couponId}/issues`, body);

  it('answers 404 for a coupon that does not exist', async () => {
    expectErrorAnswer(await issue(999999999999, { userId: 1 }), 404, 'COUPON_NOT_FOUND');
  });

  it.each([
    ['before the window opens', { issueStartAt: iso(HOUR) }],
    ['after the window closed', { issueStartAt: iso(-2 * HOUR), issueEndAt: iso(-HOUR) }],
  ])('answers 409 %s, and writes nothing', async (_case, window) => {
    const couponId = await server.createCoupon({ totalQuantity: 5, ...window });
    expectErrorAnswer(await issue(couponId, { userId: 1 }), 409, 'COUPON_NOT_IN_ISSUE_WINDOW');
    expect(await server.rows(couponId)).toEqual({ rows: 0, users: 0, issuedQuantity: 0 });
  });

  it('a user who holds one and asks again: ALREADY_ISSUED while places are left, COUPON_SOLD_OUT once none are', async () => {
    const couponId = await server.createCoupon({ totalQuantity: 2 });
    const { asynchronous } = server.lab.strategies[strategy];
    expect((await issue(couponId, { userId: 1 })).status).toBe(asynchronous ? 202 : 201);
    expectErrorAnswer(await issue(couponId, { userId: 1 }), 409, 'ALREADY_ISSUED');
    expect((await issue(couponId, { userId: 2 })).status).toBe(asynchronous ? 202 : 201);
    expectErrorAnswer(await issue(couponId, { userId: 1 }), 409, 'COUPON_SOLD_OUT');
    await server.drained(couponId);
    // The refused duplicate's count was rolled back with its insert.
    expect(await server.rows(couponId)).toEqual({ rows: 2, users: 2, issuedQuantity: 2 });
  });

  it('issues inside the window', async () => {
    const couponId = await server.createCoupon({ totalQuantity: 5, issueStartAt: iso(-HOUR), issueEndAt: iso(HOUR) });
    const answer = await issue(couponId, { userId: 7 });
    const { asynchronous } = server.lab.strategies[strategy];
    expect(answer.status).toBe(asynchronous ? 202 : 201);
    expect(answer.body).toEqual({ couponId, userId: 7, strategy, status: asynchronous ? 'accepted' : 'issued' });
    await server.drained(couponId);
    expect(await server.rows(couponId)).toEqual({ rows: 1, users: 1, issuedQuantity: 1 });
  });
});

describe('bad issue requests get a 4xx with a code and write nothing', () => {
  let couponId: number;
  beforeAll(async () => {
    couponId = await server.createCoupon({ totalQuantity: 5 });
  });
  afterAll(async () => {
    expect(await server.rows(couponId)).toEqual({ rows: 0, users: 0, issuedQuantity: 0 });
  });

  it.each([
    ['a non-numeric id', 'abc'],
    ['a negative id', '-1'],
    ['a fractional id', '1.5'],
    ['a zero id', '0'],
    ['a huge id', '99999999999999999999'],
    ['an id past 2^53', '9007199254740993'],
  ])('%s', async (_case, id) => {
    expectErrorAnswer(await server.post(`/v1/coupons/${id}/issues`, { userId: 1 }), 400, 'INVALID_REQUEST');
    expectErrorAnswer(await server.get(`/v1/coupons/${id}`), 400, 'INVALID_REQUEST');
  });

  it.each([
    ['no body', undefined],
    ['no userId', {}],
    ['a userId as text', { userId: '1' }],
    ['a fractional userId', { userId: 1.5 }],
    ['a negative userId', { userId: -3 }],
    ['a zero userId', { userId: 0 }],
    ['a huge userId', { userId: 1e20 }],
    ['a null userId', { userId: null }],
    ['a JSON array', [1]],
    ['malformed JSON', '{"userId": 1'],
  ])('%s', async (_case, body) => {
    expectErrorAnswer(await server.post(`/v1/coupons/${couponId}/issues`, body), 400, 'INVALID_REQUEST');
  });

  it('a body over the size limit', async () => {
    const answer = await server.post(`/v1/coupons/${couponId}/issues`, { userId: 1, padding: 'x'.repeat(20_000) });
    expectErrorAnswer(answer, 413, 'PAYLOAD_TOO_LARGE');
  });

  it.each(['gzip', 'deflate', 'br'])('a body sent with content-encoding %s that is not such data', async (encoding) => {
    const headers = { 'content-encoding': encoding };
    const answer = await server.request('POST', `/v1/coupons/${couponId}/issues`, { body: '{"userId":1}', headers });
    expectErrorAnswer(answer, 400, 'INVALID_REQUEST');
    expect(answer.body.message).toContain(encoding);
  });

  it.each(['%FF', '%', '%E0%A4%A'])('a coupon id that is not valid percent-encoding: %s', async (id) => {
    const answers = [
      await server.get(`/v1/coupons/${id}`),
      await server.request('PATCH', `/v1/coupons/${id}`, { body: { totalQuantity: 8 } }),
      await server.post(`/v1/coupons/${id}/issues`, { userId: 1 }),
      await server.post(`/v1/strategies/record-lock/coupons/${id}/issues`, { userId: 1 }),
      await server.post(`/v1/strategies/${id}/coupons/${couponId}/issues`, { userId: 1 }),
    ];
    for (const answer of answers) expectErrorAnswer(answer, 400, 'INVALID_REQUEST');
  });

  it('an unknown strategy, in the query or in the path', async () => {
    const query = await server.post(`/v1/coupons/${couponId}/issues?strategy=semaphore`, { userId: 1 });
    expectErrorAnswer(query, 400, 'INVALID_REQUEST');
    expect(query.body.message).toContain('record-lock');
    const path = await server.post(`/v1/strategies/semaphore/coupons/${couponId}/issues`, { userId: 1 });
    expectErrorAnswer(path, 400, 'INVALID_REQUEST');
  });

  it('an unknown route', async () => {
    expectErrorAnswer(await server.post('/v1/issue', { userId: 1 }), 404, 'ROUTE_NOT_FOUND');
  });
});

describe('what a bad request is told', () => {
  let couponId: number;
  beforeAll(async () => {
    couponId = await server.createCoupon({ totalQuantity: 5 });
  });
  afterAll(async () => {
    expect(await server.rows(couponId)).toEqual({ rows: 0, users: 0, issuedQuantity: 0 });
  });

  /** A body sent with exactly these headers: fetch adds no content type to bytes. */
  const sendBytes = (method: string, path: string, text: string, headers: Record<string, string> = {}) =>
    fetch(`${server.url}${path}`, { method, headers, body: new TextEncoder().encode(text) }).then(async (response) => ({
      status: response.status,
      body: await response.json(),
      headers: response.headers,
    }));
  const bodyRoutes = () => [
    ['POST', `/v1/strategies/record-lock/coupons/${couponId}/issues`, '{"userId":1}'],
    ['POST', `/v1/coupons/${couponId}/issues`, '{"userId":1}'],
    ['POST', '/v1/coupons', '{"title":"t","totalQuantity":1}'],
    ['PATCH', `/v1/coupons/${couponId}`, '{"totalQuantity":6}'],
  ];

  it.each([
    ['no content type', {}],
    ['text/plain', { 'content-type': 'text/plain' }],
    ['a form', { 'content-type': 'application/x-www-form-urlencoded' }],
  ])('a JSON body sent with %s: 415, saying to send it as application/json', async (_case, headers) => {
    const before = await server.lab.db('coupons').count({ n: '*' });
    for (const [method, path, text] of bodyRoutes()) {
      const answer = await sendBytes(method!, path!, text!, headers);
      expectErrorAnswer(answer, 415, 'UNSUPPORTED_MEDIA_TYPE');
      expect(answer.body.message).toBe('body: send it as JSON, with Content-Type: application/json');
    }
    expect(await server.lab.db('coupons').count({ n: '*' })).toEqual(before);
    expect((await server.get(`/v1/coupons/${couponId}`)).body.totalQuantity).toBe(5);
  });

  it('a body of null is valid JSON: it is told that the body must be an object', async () => {
    for (const [method, path] of bodyRoutes()) {
      const answer = await server.request(method!, path!, { body: 'null' });
      expectErrorAnswer(answer, 400, 'INVALID_REQUEST');
      expect(answer.body.message).toMatch(/^body: must be a JSON object/);
    }
  });

  it.each([
    ['a quantity', '/v1/coupons', { title: 't', totalQuantity: 1e20 }, 'body.totalQuantity'],
    ['an amount', '/v1/coupons', { title: 't', totalQuantity: 1, discountAmount: 1e20 }, 'body.discountAmount'],
    ['a user id', `/v1/coupons/1/issues`, { userId: 1e20 }, 'body.userId'],
    ['a coupon id', '/v1/coupons/9007199254740993/issues', { userId: 1 }, 'couponId'],
  ])('a number too big for %s is told so once', async (_case, path, body, field) => {
    const answer = await server.post(path, body);
    expectErrorAnswer(answer, 400, 'INVALID_REQUEST');
    expect(answer.body.message.split('; ')).toEqual([expect.stringMatching(new RegExp(`^${field}: Too big`))]);
  });

  it('an issue body with fields it does not take is refused, naming them, as a coupon body is', async () => {
    for (const strategy of ['record-lock', 'lua']) {
      const answer = await server.post(`/v1/strategies/${strategy}/coupons/${couponId}/issues`, { userId: 1, user: 2, coupon: 3 });
      expectErrorAnswer(answer, 400, 'INVALID_REQUEST');
      expect(answer.body.message).toBe('body: Unrecognized keys: "user", "coupon"');
    }
    const coupon = await server.post('/v1/coupons', { title: 't', totalQuantity: 1, total: 2 });
    expect(coupon.body.message).toBe('body: Unrecognized key: "total"');
  });

  it.each(['lua', 'record-lock', 'optimistic'])('a ?strategy=%s on the path that names a strategy is refused', async (named) => {
    const answer = await server.post(`/v1/strategies/lua/coupons/${couponId}/issues?strategy=${named}`, { userId: 1 });
    expectErrorAnswer(answer, 400, 'INVALID_REQUEST');
    expect(answer.body.message).toBe('strategy: named in the path (lua); leave out ?strategy=');
  });

  it('two strategies in the query: told to give one', async () => {
    const answer = await server.post(`/v1/coupons/${couponId}/issues?strategy=lua&strategy=unsafe`, { userId: 1 });
    expectErrorAnswer(answer, 400, 'INVALID_REQUEST');
    expect(answer.body.message).toBe('strategy: give one strategy, not 2');
  });
});

describe('a body is read the same whichever reader reads it', () => {
  let couponId: number;
  beforeAll(async () => {
    couponId = await server.createCoupon({ totalQuantity: 5 });
  });
  afterAll(async () => {
    expect(await server.rows(couponId)).toEqual({ rows: 0, users: 0, issuedQuantity: 0 });
  });

  // The first is read by the server's own reader, the others by body-parser.
  const spellings = ['application/json', 'application/json; charset="utf-8"', 'Application/JSON'];
  const send = (body: string | Buffer, type: string) =>
    server.request('POST', `/v1/strategies/record-lock/coupons/${couponId}/issues`, { body, headers: { 'content-type': type } });
  const answers = async (body: string | Buffer) => {
    const all = await Promise.all(spellings.map((type) => send(body, type)));
    return all.map(({ status, body }) => ({ status, body }));
  };

  it.each([
    ['malformed JSON', '{"userId": 1'],
    ['null', 'null'],
    ['a string', '"userId"'],
    ['whitespace', '  '],
    ['a byte order mark before a field it does not take', '\ufeff{"userId": 1, "x": 2}'],
    ['bytes that are not UTF-8', Buffer.concat([Buffer.from('{"userId": 1, "'), Buffer.from([0xff, 0xfe]), Buffer.from('": 2}')])],
  ])('%s', async (_case, body) => {
    const [plain, ...others] = await answers(body);
    expect(plain!.status).toBe(400);
    for (const other of others) expect(other).toEqual(plain);
  });

  it('a body of exactly the limit is read; one byte more is 413', async () => {
    const sized = (bytes: number) => {
      const head = '{"userId": 1, "pad": "';
      return `${head}${'x'.repeat(bytes - head.length - 2)}"}`;
    };
    for (const [bytes, status, code] of [
      [16 * 1024, 400, 'INVALID_REQUEST'],
      [16 * 1024 + 1, 413, 'PAYLOAD_TOO_LARGE'],
    ] as const) {
      for (const answer of await answers(sized(bytes))) expectErrorAnswer(answer as HttpAnswer, status, code);
    }
  });

  it('an unsupported charset is 415, whatever the spelling of the type', async () => {
    for (const type of ['application/json; charset=latin1', 'APPLICATION/JSON; charset=ISO-8859-1']) {
      expectErrorAnswer(await send('{"userId": 1}', type), 415, 'UNSUPPORTED_MEDIA_TYPE');
    }
  });
});

describe('compressed bodies', () => {
  it.each([
    ['gzip', gzipSync],
    ['deflate', deflateSync],
    ['br', brotliCompressSync],
  ])('are read when they are valid %s data', async (encoding, compress) => {
    const couponId = await server.createCoupon({ totalQuantity: 5 });
    const headers = { 'content-encoding': encoding };
    const answer = await server.request('POST', `/v1/strategies/record-lock/coupons/${couponId}/issues`, { body: compress('{"userId":3}'), headers });
    expect({ status: answer.status, userId: answer.body.userId }).toEqual({ status: 201, userId: 3 });
  });
});

describe('the default route', () => {
  it('uses the server default (lua), or the strategy named by ?strategy=', async () => {
    const couponId = await server.createCoupon({ totalQuantity: 5 });
    expect((await server.post(`/v1/coupons/${couponId}/issues`, { userId: 1 })).body.strategy).toBe('lua');
    const named = await server.post(`/v1/coupons/${couponId}/issues?strategy=record-lock`, { userId: 2 });
    expect({ status: named.status, strategy: named.body.strategy }).toEqual({ status: 201, strategy: 'record-lock' });
  });
});

describe('a method a path does not take', () => {
  it.each([
    ['DELETE', '/v1/coupons/1', 'GET, HEAD, PATCH'],
    ['PUT', '/v1/coupons/1', 'GET, HEAD, PATCH'],
    ['GET', '/v1/coupons', 'POST'],
    ['GET', '/v1/coupons/1/issues', 'POST'],
    ['DELETE', '/v1/strategies/lua/coupons/1/issues', 'POST'],
    ['POST', '/hello', 'GET, HEAD'],
    ['POST', '/health', 'GET, HEAD'],
    ['DELETE', '/metrics', 'GET, HEAD'],
  ])('%s %s: 405 METHOD_NOT_ALLOWED with Allow: %s', async (method, path, allow) => {
    const answer = await server.request(method, path);
    expect(answer.headers.get('allow')).toBe(allow);
    expectErrorAnswer(answer, 405, 'METHOD_NOT_ALLOWED');
  });

  it('HEAD is answered wherever GET is', async () => {
    const head = await fetch(`${server.url}/hello`, { method: 'HEAD' });
    expect({ status: head.status, length: head.headers.get('content-length'), body: await head.text() }).toEqual({ status: 200, length: '5', body: '' });
  });

  it('an unknown path stays 404 ROUTE_NOT_FOUND, whatever the method', async () => {
    expectErrorAnswer(await server.request('DELETE', '/v1/coupons/1/issues/2'), 404, 'ROUTE_NOT_FOUND');
    expectErrorAnswer(await server.get('/v1/strategies/lua'), 404, 'ROUTE_NOT_FOUND');
  });
});

describe('JSON answers', () => {
  it('name their type and their length in bytes, whatever the characters', async () => {
    const couponId = await server.createCoupon({ title: 'Ünïcode ✓ 쿠폰', totalQuantity: 1 });
    const answers = [
      ['GET', `/v1/coupons/${couponId}`, undefined],
      ['POST', `/v1/strategies/lua/coupons/${couponId}/issues`, '{"userId": 1}'],
      ['POST', `/v1/strategies/lua/coupons/${couponId}/issues`, '{"userId": 2}'],
      ['POST', `/v1/strategies/lua/coupons/${couponId}/issues`, '{"userId": "x"}'],
      ['DELETE', `/v1/coupons/${couponId}`, undefined],
    ] as const;
    const statuses = [];
    for (const [method, path, body] of answers) {
      const response = await fetch(`${server.url}${path}`, { method, body, headers: body ? { 'content-type': 'application/json' } : {} });
      const bytes = Buffer.from(await response.arrayBuffer());
      expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(Number(response.headers.get('content-length'))).toBe(bytes.length);
      expect(() => JSON.parse(bytes.toString('utf8'))).not.toThrow();
      statuses.push(response.status);
    }
    expect(statuses).toEqual([200, 202, 409, 400, 405]);
    await server.drained(couponId);
  });
});

describe('service endpoints', () => {
  it('GET /hello answers the cheapest thing the server can: hello, as plain text of 5 bytes', async () => {
    const response = await fetch(`${server.url}/hello`);
    const answer = { status: response.status, type: response.headers.get('content-type'), length: response.headers.get('content-length') };
    expect({ ...answer, body: await response.text() }).toEqual({ status: 200, type: 'text/plain; charset=utf-8', length: '5', body: 'hello' });
  });

  it('GET /health answers 200 while Redis and MySQL answer', async () => {
    const { status, body } = await server.get('/health');
    expect({ status, body }).toEqual({ status: 200, body: { status: 'ok' } });
  });
});

describe('connections that go quiet are closed by the server', () => {
  const timeouts = { keepAlive: 300, headers: 600, request: 1_000 };
  /** Node closes a keep-alive socket 1 s after the timeout it announces, and checks the others at intervals. */
  const grace = 1_000 + 1_000;
  const quick = useTestServer({
    HTTP_KEEP_ALIVE_TIMEOUT_MS: String(timeouts.keepAlive),
    HTTP_HEADERS_TIMEOUT_MS: String(timeouts.headers),
    HTTP_REQUEST_TIMEOUT_MS: String(timeouts.request),
    CONSUMER_IN_PROCESS: 'false',
  });

  /** A raw connection: what it is sent, and the first bytes it gets back and when the server closes it. */
  async function quietClient(): Promise<{ socket: Socket; answer: Promise<string>; closed: Promise<number> }> {
    const socket = connect(quick.address.port, '127.0.0.1');
    await once(socket, 'connect');
    const answer = once(socket, 'data').then(([data]) => String(data));
    const closed = once(socket, 'close').then(() => performance.now());
    return { socket, answer, closed };
  }

  it('a headers timeout must exceed the keep-alive timeout, and the request timeout reach the headers timeout', () => {
    expect(() => loadConfig({}, { HTTP_KEEP_ALIVE_TIMEOUT_MS: '10000' })).toThrow(/HTTP_HEADERS_TIMEOUT_MS: must be more than/);
    expect(() => loadConfig({}, { HTTP_REQUEST_TIMEOUT_MS: '9999' })).toThrow(/HTTP_REQUEST_TIMEOUT_MS: must be at least/);
  });

  it('an idle keep-alive connection, HTTP_KEEP_ALIVE_TIMEOUT_MS after its last answer', async () => {
    const { socket, answer, closed } = await quietClient();
    socket.write('GET /hello HTTP/1.1\r\nHost: lab\r\n\r\n');
    expect(await answer).toMatch(/^HTTP\/1\.1 200 .*\r\nConnection: keep-alive\r\n/s);
    const answeredAt = performance.now();
    const idleMs = (await closed) - answeredAt;
    expect(idleMs).toBeGreaterThanOrEqual(timeouts.keepAlive);
    expect(idleMs).toBeLessThan(timeouts.keepAlive + grace);
  });

  it('a client that stops halfway through its headers: 408, HTTP_HEADERS_TIMEOUT_MS after it connected', async () => {
    const { socket, answer, closed } = await quietClient();
    const startedAt = performance.now();
    socket.write('GET /hello HTTP/1.1\r\nHost: lab\r\n');
    expect(await answer).toMatch(/^HTTP\/1\.1 408 /);
    const openMs = (await closed) - startedAt;
    expect(openMs).toBeGreaterThanOrEqual(timeouts.headers);
    expect(openMs).toBeLessThan(timeouts.headers + grace);
  });

  it('a client that stops halfway through its body: 408, HTTP_REQUEST_TIMEOUT_MS after it started, nothing written', async () => {
    const couponId = await quick.createCoupon({ totalQuantity: 5 });
    const { socket, answer, closed } = await quietClient();
    const startedAt = performance.now();
    const head = `POST /v1/strategies/record-lock/coupons/${couponId}/issues HTTP/1.1\r\nHost: lab\r\nContent-Type: application/json\r\nContent-Length: 12\r\n\r\n`;
    socket.write(`${head}{"userId"`);
    expect(await answer).toMatch(/^HTTP\/1\.1 408 /);
    const openMs = (await closed) - startedAt;
    expect(openMs).toBeGreaterThanOrEqual(timeouts.request);
    expect(openMs).toBeLessThan(timeouts.request + grace);
    expect(await quick.rows(couponId)).toEqual({ rows: 0, users: 0, issuedQuantity: 0 });
  });
});

describe('with ADMIN_TOKEN set', () => {
  const token = 'lab-admin-token';
  const guarded = useTestServer({ ADMIN_TOKEN: token, CONSUMER_IN_PROCESS: 'false' });
  let couponId: number;
  beforeAll(async () => {
    couponId = await guarded.createCoupon({ totalQuantity: 5 }); // the helper sends the token
  });

  /** Both admin routes, sent with exactly the headers given (the helper's token left out). */
  const adminRequests = (headers: Record<string, string>) => [
    guarded.request('POST', '/v1/coupons', { body: { title: 'guarded', totalQuantity: 5 }, headers, admin: false }),
    guarded.request('PATCH', `/v1/coupons/${couponId}`, { body: { totalQuantity: 9 }, headers, admin: false }),
  ];
  const stored = async () => ({
    coupons: await guarded.lab.db('coupons').count({ n: '*' }),
    row: await guarded.lab.db('coupons').where({ id: couponId }).first('total_quantity', 'version'),
  });

  it.each([
    ['no Authorization header', {}],
    ['another scheme', { authorization: 'Basic bGFiOmxhYg==' }],
    ['Bearer and no token', { authorization: 'Bearer' }],
    ['a token without Bearer', { authorization: token }],
  ])('%s: 401 UNAUTHORIZED with WWW-Authenticate: Bearer, and nothing written', async (_case, headers) => {
    const before = await stored();
    for (const answer of await Promise.all(adminRequests(headers))) {
      expectErrorAnswer(answer, 401, 'UNAUTHORIZED');
      expect(answer.headers.get('www-authenticate')).toBe('Bearer');
    }
    expect(await stored()).toEqual(before);
  });

  it.each([
    ['another token', 'not-the-token'],
    ['a prefix of the token', token.slice(0, -1)],
    ['the token and more', `${token}x`],
  ])('%s: 403 FORBIDDEN, and nothing written', async (_case, presented) => {
    const before = await stored();
    for (const answer of await Promise.all(adminRequests({ authorization: `Bearer ${presented}` }))) {
      expectErrorAnswer(answer, 403, 'FORBIDDEN');
    }
    expect(await stored()).toEqual(before);
  });

  it('must be something a client can send as a bearer token', () => {
    expect(() => loadConfig({}, { ADMIN_TOKEN: 'two words' })).toThrow(/ADMIN_TOKEN: must be a bearer token/);
  });

  it('the token creates and changes coupons; the scheme may be in any case', async () => {
    const [created, changed] = await Promise.all(adminRequests({ authorization: `bearer ${token}` }));
    expect([created!.status, changed!.status]).toEqual([201, 200]);
    expect(changed!.body.totalQuantity).toBe(9);
  });

  it('reading a coupon and issuing stay open to anyone', async () => {
    expect((await guarded.request('GET', `/v1/coupons/${couponId}`, { admin: false })).status).toBe(200);
    const issued = await guarded.request('POST', `/v1/strategies/record-lock/coupons/${couponId}/issues`, { body: { userId: 1 }, admin: false });
    expect(issued.status).toBe(201);
  });
});

describe('with METRICS_PORT set', () => {
  const split = useTestServer({ METRICS_PORT: '0', CONSUMER_IN_PROCESS: 'false' });

  it('serves /metrics on that port only, counting the requests of the API port', async () => {
    expect(split.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(new URL(split.metricsUrl!).port).not.toBe(String(split.address.port));
    const couponId = await split.createCoupon({ totalQuantity: 5 });
    expect((await split.post(`/v1/strategies/lua/coupons/${couponId}/issues`, { userId: 1 })).status).toBe(202);
    const scraped = await fetch(split.metricsUrl!);
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toMatch(/^coupon_lab_issue_requests_total\{strategy="lua",outcome="accepted",code="ACCEPTED"\} 1$/m);
    expectErrorAnswer(await split.get('/metrics'), 404, 'ROUTE_NOT_FOUND');
  });

  it('answers nothing else there', async () => {
    const other = await fetch(new URL('/hello', split.metricsUrl));
    expect(other.status).toBe(404);
    const post = await fetch(split.metricsUrl!, { method: 'POST' });
    expect({ status: post.status, allow: post.headers.get('allow') }).toEqual({ status: 405, allow: 'GET, HEAD' });
  });
});

describe('with Redis unreachable', () => {
  const down = useServerWithoutRedis();

  it('health and the lua path answer 503 SERVICE_UNAVAILABLE, not 500', async () => {
    const couponId = await server.createCoupon({ totalQuantity: 5 });
    const health = await down.get('/health');
    expect(health.status).toBe(503);
    expect(health.body.code).toBe('SERVICE_UNAVAILABLE');
    const issue = await down.post(`/v1/strategies/lua/coupons/${couponId}/issues`, { userId: 1 });
    expectErrorAnswer(issue, 503, 'SERVICE_UNAVAILABLE');
  });
});
