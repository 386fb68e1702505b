import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { configEnv } from '../../harness/server-process.js';
import type { Env } from '../../src/core/config.js';
import { silentLog } from '../../src/core/log.js';
import { createRedis, deleteKeysWithPrefix } from '../../src/core/redis.js';
import { cliCommandLine } from '../../src/project-paths.js';
import { testConfig } from './config.js';
import { root } from './repository.js';

export interface TestConsole {
  url: string;
  runsFolder: string;
  child: ChildProcess;
}

/**
 * `coupon-lab console` as a user starts it (the compiled CLI, a process of its own), on a free port,
 * saving its runs in a folder of its own; started before the calling file's tests, stopped after
 * them, its folder and Redis keys removed.
 */
export function useConsole(overrides: Env = {}): TestConsole {
  const config = testConfig({ LOG_LEVEL: 'warn', ...overrides });
  const started = {} as TestConsole;
  beforeAll(async () => {
    started.runsFolder = await mkdtemp(join(tmpdir(), 'coupon-lab-console-'));
    started.child = spawn(...cliCommandLine(['console', '--port', '0', '--runs', started.runsFolder]), {
      env: { ...process.env, ...configEnv(config) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const [line] = (await Promise.race([
      once(createInterface({ input: started.child.stdout! }), 'line'),
      once(started.child, 'exit').then(([code]) => {
        throw new Error(`the console exited with ${code} before it printed its URL`);
      }),
    ])) as [string];
    started.url = /http:\/\/\S+/.exec(line)![0];
  });
  afterAll(async () => {
    if (started.child.exitCode === null) {
      started.child.kill('SIGTERM');
      await once(started.child, 'exit');
    }
    await rm(started.runsFolder, { recursive: true, force: true });
    const redis = createRedis(config.REDIS_URL, { autoPipelining: false, log: silentLog });
    await deleteKeysWithPrefix(redis, config.REDIS_KEY_PREFIX).finally(() => redis.disconnect());
  });
  return started;
}

/** Where the console's tests leave their screenshots: git-ignored, kept after the run for a person to look at. */
export const SCREENSHOTS = join(root, 'test-results', 'console');

export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** An accessibility violation as axe-core reports it: what rule, how bad, where. */
export interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** axe-core, from npm, run in the page: the serious and critical violations it finds. */
export async function seriousViolations(page: Page): Promise<{ id: string; help: string; targets: string[] }[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: createRequire(import.meta.url).resolve('axe-core/axe.min.js') });
  const violations = await page.evaluate(
    async () => (await (window as unknown as { axe: { run(): Promise<{ violations: Violation[] }> } }).axe.run()).violations,
  );
  return violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => ({ id: violation.id, help: violation.help, targets: violation.nodes.map((node) => node.target.join(' ')) }));
}

/** The page fits the window's width: nothing makes it scroll sideways (a wide table scrolls in its own box). */
export function overflowsSideways(page: Page): Promise<boolean> {
  return page.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth);
}
