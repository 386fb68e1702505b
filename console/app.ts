import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import express, { type Request, type Response } from 'express';
import { renderFaultHtml } from '../bench/faults/render.js';
import { renderHtml } from '../bench/output/render-html.js';
import type { Log } from '../src/core/log.js';
import { PROJECT_ROOT } from '../src/project-paths.js';
import { sendJson } from '../src/server/send-json.js';
import type { Guard } from './auth.js';
import type { Catalog } from './contract.js';
import { decisionTable } from './decision.js';
import { ConsoleError, consoleErrorHandler } from './errors.js';
import { answerOnlyAsThisMachine, takeChangesOnlyFromThisPage } from './other-sites.js';
import { parseFaultRequest, parseRaceRequest } from './requests.js';
import type { Runner } from './runner.js';
import type { RunsStore } from './runs-store.js';

export interface ConsoleParts {
  catalog: Catalog;
  runner: Runner;
  store: RunsStore;
  guard: Guard;
  /** The address it listens on (`--host`): a name it answers as, beside this machine's own. */
  host: string;
  /** The page, as Vite built it. */
  uiFolder: string;
  log: Log;
}

/** A live stream sends a comment this often, so that no proxy or browser takes it for dead between runs. */
const KEEP_ALIVE_MS = 15_000;

/** Thin routes: the page's requests are checked, handed to the runner or the store, and answered. */
export function createConsoleApp({ catalog, runner, store, guard, host, uiFolder, log }: ConsoleParts): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // Before anything is read or done, the page included: without ADMIN_TOKEN nothing else stands in a page of another site's way.
  app.use(answerOnlyAsThisMachine(host), takeChangesOnlyFromThisPage);
  const json = express.json({ limit: '16kb' });
  const api = express.Router();
  api.use(guard.require);

  api.get('/catalog', (_req, res) => sendJson(res, 200, catalog));
  api.post('/races', json, (req, res) => {
    runner.race(parseRaceRequest(req.body));
    sendJson(res, 202, { started: 'race' });
  });
  api.post('/faults', json, (req, res) => {
    runner.faults(parseFaultRequest(req.body, catalog));
    sendJson(res, 202, { started: 'faults' });
  });
  api.post('/stop', (_req, res) => {
    runner.stop();
    sendJson(res, 202, { stopping: true });
  });
  api.get('/events', (req, res) => streamEvents(runner, req, res));
  api.get('/runs', async (_req, res) => sendJson(res, 200, await store.list()));
  api.get('/runs/:id', async (req, res) => sendJson(res, 200, await stored(store, req.params.id)));
  api.get('/runs/:id/report', async (req, res) => {
    const run = await stored(store, req.params.id);
    res.type('html').send(run.kind === 'race' ? renderHtml(run.report) : renderFaultHtml(run.report));
  });
  api.get('/decision', async (_req, res) => sendJson(res, 200, decisionTable(await store.all(), catalog.strategies)));
  api.use((req) => {
    throw new ConsoleError('NOT_FOUND', `no route for ${req.method} /api${req.path}`);
  });

  app.post('/api/session', guard.open);
  app.use('/api', api);
  // The strategies' sources and the docs, for the cards' links: only files the catalog names.
  app.get('/source/:strategy', guard.require, async (req, res) => {
    const { strategy: name } = req.params as { strategy: string };
    const entry = catalog.strategies.find((strategy) => strategy.name === name);
    if (!entry) throw new ConsoleError('NOT_FOUND', `no strategy ${name}`);
    await sendProjectFile(res, entry.source);
  });
  app.get('/docs/:file', guard.require, async (req, res) => {
    const { file } = req.params as { file: string };
    if (!/^[a-z0-9-]+\.md$/.test(file)) throw new ConsoleError('NOT_FOUND', `no document ${file}`);
    await sendProjectFile(res, `docs/${file}`);
  });
  app.use(express.static(uiFolder, { index: 'index.html' }));
  app.use(consoleErrorHandler(log));
  return app;
}

async function stored(store: RunsStore, id: string) {
  const run = await store.read(id);
  if (!run) throw new ConsoleError('NOT_FOUND', `no saved run ${id} in ${store.folder}`);
  return run;
}

/** A file of the project as plain text; 404 where it is not (the image has no sources). */
async function sendProjectFile(res: Response, path: string): Promise<void> {
  const text = await readFile(join(PROJECT_ROOT, path), 'utf8').catch(() => undefined);
  if (text === undefined) throw new ConsoleError('NOT_FOUND', `${path} is not in this copy of the lab`);
  res.type('text/plain; charset=utf-8').send(text);
}

/**
 * Numbers the events of this process's life: a page that reconnects to a console started again since
 * must be sent the new one's events from the start, whatever number it saw last.
 */
const LIFE = randomBytes(4).toString('hex');

/**
 * Server-Sent Events: the latest run's events from where the page left off (Last-Event-ID, which
 * the browser sends when it reconnects), then each new one as it comes.
 */
function streamEvents(runner: Runner, req: Request, res: Response): void {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive' });
  res.write('retry: 1000\n\n');
  const [life, seen] = (req.get('last-event-id') ?? '').split('.');
  const afterSeq = life === LIFE ? Number(seen) || 0 : 0;
  const stopListening = runner.listen((event) => res.write(`id: ${LIFE}.${event.seq}\ndata: ${JSON.stringify(event)}\n\n`), afterSeq);
  const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), KEEP_ALIVE_MS);
  res.on('close', () => {
    clearInterval(keepAlive);
    stopListening();
  });
}
