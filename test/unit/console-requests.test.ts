import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STRATEGY_NAMES } from '../../src/strategies/names.js';
import { RACE_LIMITS } from '../../bench/settings.js';
import { createConsoleApp } from '../../console/app.js';
import { consoleGuard } from '../../console/auth.js';
import type { Catalog } from '../../console/contract.js';
import { ConsoleError } from '../../console/errors.js';
import { parseFaultRequest, parseRaceRequest } from '../../console/requests.js';
import { Runner } from '../../console/runner.js';
import { RunsStore } from '../../console/runs-store.js';
import { wholeNumber } from '../../src/cli-options.js';
import { loadConfig } from '../../src/core/config.js';
import { silentLog } from '../../src/core/log.js';

const race = { strategies: ['unsafe', 'lua'], users: 400, requestsPerUser: 1, quantity: 50, concurrency: 100, instances: [1, 2], repeat: 1 };

/** What the CLI says of the same value: the console must say the same. */
function cliSays(min: number, max: number, text: string): string {
  try {
    wholeNumber(min, max)(text);
  } catch (error) {
    if (error instanceof InvalidArgumentError) return error.message;
  }
  throw new Error(`the CLI took ${text}`);
}

function refusal(parse: () => unknown): { code: string; message: string } {
  try {
    parse();
  } catch (error) {
    if (error instanceof ConsoleError) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('the request was taken');
}

describe("the console's race request", () => {
  it('takes what the CLI takes, at its bounds too', () => {
    expect(parseRaceRequest(race)).toEqual(race);
    const { users, requestsPerUser, quantity, concurrency, repeat } = RACE_LIMITS;
    const largest = {
      ...race,
      users: users.max,
      requestsPerUser: requestsPerUser.max,
      quantity: quantity.max,
      concurrency: concurrency.max,
      repeat: repeat.max,
    };
    expect(parseRaceRequest(largest)).toEqual(largest);
  });

  it.each(['users', 'requestsPerUser', 'quantity', 'concurrency', 'repeat'] as const)('refuses %s past the CLI’s limits, in the CLI’s words', (field) => {
    const { min, max } = RACE_LIMITS[field];
    for (const value of [min - 1, max + 1, 1.5]) {
      const { code, message } = refusal(() => parseRaceRequest({ ...race, [field]: value }));
      expect(code).toBe('INVALID_REQUEST');
      expect(message).toBe(`${field}: ${cliSays(min, max, String(value)).replace(/^It/, 'it')}`);
    }
    expect(refusal(() => parseRaceRequest({ ...race, [field]: String(min) })).code).toBe('INVALID_REQUEST');
  });

  it('refuses a runaway crowd: more users than the CLI allows', () => {
    expect(refusal(() => parseRaceRequest({ ...race, users: 10 ** 12 })).message).toBe('users: it must be a whole number from 1 to 1,000,000.');
  });

  it('refuses unknown strategies, naming them and the choices', () => {
    expect(refusal(() => parseRaceRequest({ ...race, strategies: ['unsafe', 'nope'] })).message).toBe(
      `strategies: unknown nope; choose from ${STRATEGY_NAMES.join(', ')} or all`,
    );
    expect(refusal(() => parseRaceRequest({ ...race, strategies: [] })).message).toBe('strategies: a list of strategy names is expected');
  });

  it('takes each process count once, within the CLI’s bounds', () => {
    expect(parseRaceRequest({ ...race, instances: [2, 1, 2] }).instances).toEqual([2, 1]);
    expect(refusal(() => parseRaceRequest({ ...race, instances: [17] })).message).toBe('instances: it must be a whole number from 1 to 16.');
    expect(refusal(() => parseRaceRequest({ ...race, instances: 1 })).code).toBe('INVALID_REQUEST');
  });

  it('refuses a body that is not an object', () => {
    expect(refusal(() => parseRaceRequest([race])).message).toBe('body: a JSON object is expected');
  });
});

describe("the console's fault request", () => {
  const catalog = { faults: [{ fault: 'server-kill', variants: [{ what: '' }], reaches: ['record-lock', 'lua'] }] } as unknown as Catalog;

  it('takes a fault the bench knows and strategies it reaches', () => {
    expect(parseFaultRequest({ fault: 'server-kill', strategies: ['record-lock', 'unsafe'] }, catalog)).toEqual({
      fault: 'server-kill',
      strategies: ['record-lock', 'unsafe'],
    });
  });

  it('refuses an unknown fault, and strategies the fault reaches none of', () => {
    expect(refusal(() => parseFaultRequest({ fault: 'meteor', strategies: ['lua'] }, catalog)).message).toBe('fault: choose one of server-kill');
    expect(refusal(() => parseFaultRequest({ fault: 'server-kill', strategies: ['unsafe'] }, catalog)).message).toBe(
      'strategies: server-kill reaches none of these; it reaches record-lock, lua',
    );
  });
});

/** The console's app over real HTTP, as `startConsole` serves it, on a free port of 127.0.0.1. */
async function serveConsole(host: string, folder: string): Promise<{ server: Server; port: number }> {
  const store = new RunsStore(folder);
  const catalog = { strategies: [{ name: 'lua', source: 'src/strategies/lua.ts' }], faults: [] } as unknown as Catalog;
  const runner = new Runner(loadConfig({}), store, silentLog);
  const app = createConsoleApp({ catalog, runner, store, guard: consoleGuard(undefined), host, uiFolder: folder, log: silentLog });
  const server = createServer(app).listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port };
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A request with exactly these headers, Host included: what a browser sends, which fetch would not let a test choose. */
async function send(port: number, method: string, path: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  const sent = request({ host: '127.0.0.1', port, method, path, headers });
  sent.end(body);
  const [response] = (await once(sent, 'response')) as [IncomingMessage];
  let text = '';
  for await (const chunk of response) text += String(chunk);
  return { status: response.statusCode!, headers: response.headers, body: text };
}

const json = (answer: Answer) => ({ status: answer.status, ...(JSON.parse(answer.body) as { code: string }) });

describe('the console refuses what other sites send it', () => {
  let folder: string;
  let served: { server: Server; port: number }[] = [];
  let port: number;
  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'coupon-lab-console-'));
    await writeFile(join(folder, 'index.html'), '<!doctype html><title>console</title>');
    served = [await serveConsole('127.0.0.1', folder)];
    port = served[0]!.port;
  });
  afterAll(async () => {
    for (const { server } of served) server.close();
    await rm(folder, { recursive: true, force: true });
  });

  /** What the console's own page sends, opened at http://<host>/: its Origin on a POST, which a browser always adds. */
  const fromPage = (host: string, method: string, extra: Record<string, string> = {}) => ({
    host,
    ...(method === 'POST' ? { origin: `http://${host}`, 'content-type': 'application/json' } : {}),
    ...extra,
  });

  it('refuses every request under a name that is not one of its own, as a page whose name was pointed at this machine sends', async () => {
    for (const [method, path] of [
      ['GET', '/'],
      ['GET', '/api/catalog'],
      ['GET', '/api/runs'],
      ['GET', '/api/events'],
      ['GET', '/source/lua'],
      ['GET', '/docs/console.md'],
      ['POST', '/api/stop'],
      ['POST', '/api/session'],
    ] as const) {
      const answer = await send(port, method, path, fromPage('evil.example:8090', method));
      expect({ method, path, ...json(answer) }).toMatchObject({ method, path, status: 403, code: 'HOST_NOT_ALLOWED' });
      expect(JSON.parse(answer.body).message).toBe(
        'this console answers as 127.0.0.1, localhost or [::1], not as evil.example:8090: a page of another site can reach it under a name of its own pointed at this machine',
      );
    }
    for (const host of [`localhost.evil.example:${port}`, `evil.example@127.0.0.1:${port}`, `127.0.0.1.nip.io:${port}`]) {
      expect(json(await send(port, 'GET', '/api/runs', { host }))).toMatchObject({ status: 403, code: 'HOST_NOT_ALLOWED' });
    }
  });

  it("answers under this machine's own names, on whatever port a tunnel or a container puts in front of it", async () => {
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `LocalHost:${port}`, 'localhost:9000', 'localhost']) {
      const answer = await send(port, 'GET', '/api/runs', { host });
      expect({ host, status: answer.status }).toEqual({ host, status: 200 });
    }
    expect((await send(port, 'GET', '/', { host: `localhost:${port}` })).body).toContain('<title>console</title>');
  });

  it('answers also under the address it was told to listen on, and listening on every address, under any address', async () => {
    const named = await serveConsole('192.168.1.5', folder);
    const everywhere = await serveConsole('0.0.0.0', folder);
    served.push(named, everywhere);
    expect((await send(named.port, 'GET', '/api/runs', { host: '192.168.1.5:8090' })).status).toBe(200);
    expect((await send(named.port, 'GET', '/api/runs', { host: 'localhost:8090' })).status).toBe(200);
    expect(json(await send(named.port, 'GET', '/api/runs', { host: '10.0.0.7:8090' }))).toMatchObject({ status: 403, code: 'HOST_NOT_ALLOWED' });
    for (const host of ['10.0.0.7:8090', '[fe80::1]:8090', '127.0.0.1:8090']) {
      expect((await send(everywhere.port, 'GET', '/api/runs', { host })).status).toBe(200);
    }
    // An address cannot be pointed elsewhere as a name can; a name still can, wherever the console listens.
    expect(json(await send(everywhere.port, 'GET', '/api/runs', { host: 'evil.example:8090' }))).toMatchObject({ status: 403, code: 'HOST_NOT_ALLOWED' });
  });

  it('refuses a POST a form of another site can send: urlencoded, multipart, plain text, or no body at all', async () => {
    const host = `127.0.0.1:${port}`;
    for (const type of ['application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'text/plain', 'text/plain; application/json', undefined]) {
      const answer = await send(port, 'POST', '/api/stop', { host, ...(type ? { 'content-type': type } : {}) }, type ? '{}' : undefined);
      expect({ type, ...json(answer) }).toMatchObject({ type, status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });
    }
    expect(json(await send(port, 'POST', '/api/races', { host, 'content-type': 'text/plain' }, JSON.stringify(race)))).toMatchObject({
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
      message: 'POST /api/races takes Content-Type: application/json only, which no form of another site can send',
    });
  });

  it('refuses a POST from a page of another site, JSON or not', async () => {
    const host = `127.0.0.1:${port}`;
    for (const origin of ['http://evil.example', `http://localhost:${port}`, 'null']) {
      const answer = await send(port, 'POST', '/api/stop', { host, origin, 'content-type': 'application/json' });
      expect({ origin, ...json(answer) }).toMatchObject({ origin, status: 403, code: 'CROSS_ORIGIN' });
    }
  });

  it("takes the page's own requests: its GETs, and its POSTs in JSON from its own origin", async () => {
    const host = `localhost:${port}`;
    expect((await send(port, 'GET', '/api/catalog', fromPage(host, 'GET'))).status).toBe(200);
    expect((await send(port, 'GET', '/source/lua', fromPage(host, 'GET'))).body).toContain("name: 'lua'");
    // The stop button sends no body: it reaches the runner, which has nothing to stop.
    expect(json(await send(port, 'POST', '/api/stop', fromPage(host, 'POST')))).toMatchObject({ status: 409, code: 'NO_RUN' });
    // A race the parser refuses (no services needed): it reached the parser.
    expect(json(await send(port, 'POST', '/api/races', fromPage(host, 'POST'), JSON.stringify({ ...race, users: 0 })))).toMatchObject({
      status: 400,
      code: 'INVALID_REQUEST',
    });
    expect((await send(port, 'POST', '/api/session', fromPage(host, 'POST'))).status).toBe(204);
    // A client that is no browser sends no Origin: JSON is enough.
    expect(json(await send(port, 'POST', '/api/stop', { host, 'content-type': 'application/json; charset=utf-8' }))).toMatchObject({ status: 409 });
  });
});
