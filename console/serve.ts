import { existsSync } from 'node:fs';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Config } from '../src/core/config.js';
import type { Log } from '../src/core/log.js';
import { PROJECT_ROOT } from '../src/project-paths.js';
import { createConsoleApp } from './app.js';
import { consoleGuard } from './auth.js';
import { readCatalog } from './catalog.js';
import { Runner } from './runner.js';
import { RunsStore } from './runs-store.js';

/** Where `npm run build` puts the page (scripts/build.js). */
const UI_FOLDER = join(PROJECT_ROOT, 'dist', 'console-ui');

export interface ConsoleOptions {
  /** The lab's configuration: what the measured servers run with; ADMIN_TOKEN guards the console. */
  config: Config;
  host: string;
  /** 0 picks a free one. */
  port: number;
  runsFolder: string;
  log: Log;
}

export interface RunningConsole {
  url: string;
  /** Stops the run going on (its servers with it), closes the live streams, stops listening. */
  stop(): Promise<void>;
}

/** The page is missing from dist/: the sources were compiled by something other than `npm run build`. */
export class PageNotBuiltError extends Error {
  override readonly name = 'PageNotBuiltError';
  constructor() {
    super(`the console's page is not in ${UI_FOLDER}: run npm run build`);
  }
}

export async function startConsole({ config, host, port, runsFolder, log }: ConsoleOptions): Promise<RunningConsole> {
  if (!existsSync(join(UI_FOLDER, 'index.html'))) throw new PageNotBuiltError();
  const store = new RunsStore(runsFolder);
  const runner = new Runner(config, store, log);
  const catalog = await readCatalog(config, runsFolder);
  const app = createConsoleApp({ catalog, runner, store, guard: consoleGuard(config.ADMIN_TOKEN), host, uiFolder: UI_FOLDER, log });
  const server = createServer(app).listen(port, host);
  await once(server, 'listening');
  const { port: bound } = server.address() as AddressInfo;
  let stopping: Promise<void> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}/`,
    stop: () =>
      (stopping ??= (async () => {
        await runner.close();
        const closed = new Promise((resolve) => server.close(resolve));
        server.closeAllConnections(); // the live streams never end by themselves
        await closed;
      })()),
  };
}
