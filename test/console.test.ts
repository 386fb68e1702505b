import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { readdir, readFile } from 'node:fs/promises';
import { request, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FaultReport } from '../bench/faults/report.js';
import type { BenchReport } from '../bench/report.js';
import { verdictWithFigure, worstRun } from '../lab-client/verdict.js';
import { cliCommandLine } from '../src/project-paths.js';
import { launchChromium } from './support/browser.js';
import { overflowsSideways, screenshot, seriousViolations, useConsole } from './support/console.js';

/**
 * The console as a person uses it, in Debian's Chromium: a race launched from the page fills its
 * lanes while it runs and ends with the verdicts of the report it saves; a second run is refused
 * while one runs, and a run can be stopped; a short fault draws its timeline; saved runs open,
 * compare and link their HTML reports; the decision table links each figure to its run. Every
 * view passes axe-core with no serious violation and fits 1280×800 and a phone's width. The tests
 * run in order: the later ones read the runs the earlier ones saved.
 */
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const RACE = { users: '400', quantity: '50', strategies: ['unsafe', 'record-lock', 'lua'] };

const consoleApp = useConsole();
let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(() => browser?.close());

/** What the pages of a test threw: none may have thrown anything. */
const pageErrors: string[] = [];
afterEach(() => {
  expect(pageErrors.splice(0)).toEqual([]);
});

async function openPage(hash: string, viewport = DESKTOP): Promise<Page> {
  const page = await browser.newPage({ viewport });
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(`${consoleApp.url}${hash}`);
  return page;
}

/** The reports saved so far, by kind, oldest first. */
async function saved(): Promise<{ id: string; kind: string; report: unknown }[]> {
  const files = (await readdir(consoleApp.runsFolder)).filter((name) => name.endsWith('.json')).sort();
  return Promise.all(
    files.map(async (name) => ({
      id: name.slice(0, -'.json'.length),
      kind: name.endsWith('-race.json') ? 'race' : 'faults',
      report: JSON.parse(await readFile(join(consoleApp.runsFolder, name), 'utf8')) as unknown,
    })),
  );
}

/** What the live stream sends a page that connects (with the last event id it saw), up to the run's end. */
async function replay(lastEventId?: string): Promise<{ id: string; type: string }[]> {
  const stop = new AbortController();
  const response = await fetch(`${consoleApp.url}api/events`, { headers: lastEventId ? { 'last-event-id': lastEventId } : {}, signal: stop.signal });
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = '';
  while (!text.includes('"type":"run-saved"')) text += (await reader.read()).value ?? '';
  stop.abort();
  return [...text.matchAll(/^id: (\S+)\ndata: (.*)$/gm)].map(([, id, data]) => ({ id: id!, type: (JSON.parse(data!) as { type: string }).type }));
}

async function pickStrategies(page: Page, form: string, names: string[]): Promise<void> {
  await page.locator(`${form} input[name=strategy]`).evaluateAll((boxes, chosen) => {
    for (const box of boxes as HTMLInputElement[]) box.checked = chosen.includes(box.value);
  }, names);
}

describe('the console in Chromium', () => {
  it(`races ${RACE.strategies.join(', ')} from the page: the lanes fill while it runs, and end with the verdicts MySQL gave`, async () => {
    const page = await openPage('#race');
    await pickStrategies(page, '#race-form', RACE.strategies);
    await page.getByLabel('Users').fill(RACE.users);
    await page.getByLabel('Places (quantity)').fill(RACE.quantity);
    await page.getByRole('button', { name: 'Run the race' }).click();
    // A lane part-way: some answers counted, not all of the 400.
    const partWay = await page.waitForFunction(
      () =>
        [...document.querySelectorAll<HTMLElement>('.lane[data-state=running]')]
          .map((lane) =>
            [...lane.querySelectorAll('.counts [data-kind] dd')].slice(0, 5).reduce((sum, dd) => sum + Number(dd.textContent.replace(/,/g, '')), 0),
          )
          .find((answered) => answered > 0 && answered < 400),
      undefined,
      { timeout: 120_000, polling: 20 },
    );
    expect(await partWay.jsonValue()).toBeGreaterThan(0);
    await screenshot(page, 'race-running');
    await page.waitForSelector('#race-form .message a', { timeout: 180_000 });
    await screenshot(page, 'race-1280x800');

    const [race] = await saved();
    const report = race!.report as BenchReport;
    const lanes = await page.locator('.lane').evaluateAll((elements) =>
      elements.map((lane) => ({
        strategy: (lane as HTMLElement).dataset.strategy,
        verdict: (lane as HTMLElement).dataset.verdict,
        badge: lane.querySelector('.outcome .verdict')!.textContent,
        rows: Number((lane.querySelector('.outcome .rows') as HTMLElement).dataset.rows),
      })),
    );
    expect(lanes).toEqual(
      report.results.map((result) => ({
        strategy: result.strategy,
        verdict: result.verdict,
        badge: verdictWithFigure(worstRun(result.runs)!),
        rows: worstRun(result.runs)!.rows,
      })),
    );
    expect(lanes.map((lane) => [lane.strategy, lane.verdict])).toEqual([
      ['unsafe', 'OVER-ISSUED'],
      ['record-lock', 'EXACT'],
      ['lua', 'EXACT'],
    ]);
    expect(lanes[0]!.rows).toBeGreaterThan(50);
    expect(await page.locator('.lane[data-strategy=lua] .outcome').textContent()).toMatch(/drain [\d.,]+ ms/);
    expect(await overflowsSideways(page)).toBe(false);
    await page.close();
  }, 240_000);

  it('replays the latest run to a page that connects, or reconnects from where it left off', async () => {
    const all = await replay();
    expect(all[0]!.type).toBe('run-started');
    expect(all.at(-1)!.type).toBe('run-saved');
    const [life] = all[0]!.id.split('.');
    expect(all.map((event) => event.id)).toEqual(all.map((_, i) => `${life}.${Number(all[0]!.id.split('.')[1]) + i}`));
    // Reconnecting after the second to last event, the page is sent the last alone.
    expect(await replay(all.at(-2)!.id)).toEqual([all.at(-1)]);
    // A console started again since numbers its events anew: a page that saw another's is sent them all.
    expect(await replay(`0000.${all.length + 1_000}`)).toEqual(all);
  });

  it('refuses a second run while one runs, in a sentence; a run can be stopped, and nothing is saved of it', async () => {
    const page = await openPage('#race');
    const before = (await saved()).length;
    await pickStrategies(page, '#race-form', ['record-lock']);
    await page.getByLabel('Runs each').fill('5');
    await page.getByRole('button', { name: 'Run the race' }).click();
    await page.waitForSelector('.lane[data-strategy=record-lock]');
    const second = await page.evaluate(async () => {
      const response = await fetch('/api/races', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ strategies: ['lua'], users: 10, requestsPerUser: 1, quantity: 5, concurrency: 10, instances: [1], repeat: 1 }),
      });
      return { status: response.status, body: (await response.json()) as { code: string; message: string } };
    });
    expect(second.status).toBe(409);
    expect(second.body.code).toBe('RUN_IN_PROGRESS');
    expect(second.body.message).toMatch(/^a race started at .* is still running: wait for it, or stop it$/);
    await page.getByRole('button', { name: 'Stop' }).click();
    await page.waitForSelector('.lane[data-state=stopped]', { timeout: 60_000 });
    await expect.poll(() => page.locator('#race-form .message').textContent(), { timeout: 60_000 }).toBe('Stopped: nothing was saved.');
    expect(await page.getByRole('button', { name: 'Run the race' }).isEnabled()).toBe(true);
    expect(await saved()).toHaveLength(before);
    await page.close();
  }, 120_000);

  it("at a phone's width, brings a race it starts into view: the message under the button and the first lane, below the header", async () => {
    const page = await openPage('#race', PHONE);
    await pickStrategies(page, '#race-form', ['record-lock']);
    await page.getByLabel('Runs each').fill('5');
    // The form fills the phone's screen: the button is within it, what the race shows is below.
    await page.getByRole('button', { name: 'Run the race' }).click();
    await page.waitForSelector('.lane[data-strategy=record-lock]');
    const seen = await page.evaluate(() => {
      const header = document.querySelector('.top')!.getBoundingClientRect().bottom;
      const message = document.querySelector('#race-form .message')!.getBoundingClientRect();
      const lane = document.querySelector('.lane')!.getBoundingClientRect();
      return { message: message.top >= header && message.bottom <= innerHeight, lane: lane.top < innerHeight };
    });
    expect(seen).toEqual({ message: true, lane: true });
    await page.getByRole('button', { name: 'Stop' }).click();
    await expect.poll(() => page.locator('#race-form .message').textContent(), { timeout: 60_000 }).toBe('Stopped: nothing was saved.');
    await page.close();
  }, 120_000);

  it('runs a short fault: the timeline shows when it was injected and lifted, the answers around it, and the verdict', async () => {
    const page = await openPage('#faults');
    await page.getByLabel('Fault', { exact: true }).selectOption('server-kill');
    expect(await page.locator('#fault-what').textContent()).toContain('killed with SIGKILL');
    await pickStrategies(page, '#fault-form', ['record-lock']);
    await page.getByRole('button', { name: 'Inject the fault' }).click();
    const timeline = page.locator('.timeline[data-strategy=record-lock]');
    await page.waitForSelector('.timeline[data-strategy=record-lock][data-state=done]', { timeout: 180_000 });
    await page.waitForSelector('#fault-form .message a', { timeout: 60_000 });
    await screenshot(page, 'faults-1280x800');
    const run = ((await saved()).find((entry) => entry.kind === 'faults')!.report as FaultReport).runs[0]!;
    expect(await timeline.getAttribute('data-verdict')).toBe(run.verdict);
    expect(run.verdict).toBe('EXACT');
    expect(Number(await timeline.getAttribute('data-fault-from-ms'))).toBe(Math.round(run.faultMs!.fromMs));
    expect(Number(await timeline.getAttribute('data-fault-to-ms'))).toBe(Math.round(run.faultMs!.toMs));
    const outcome = await timeline.locator('.outcome').textContent();
    expect(outcome).toContain(`${run.unavailable} answered 503`);
    // The requests in flight to the killed server: the card says so, as the report does.
    expect(outcome).toContain(`${run.unanswered.toLocaleString('en-US')} got no answer`);
    await page.close();
  }, 240_000);

  it('opens a saved run, compares two side by side, and opens a run’s HTML report', async () => {
    const [race, faults] = await saved();
    const page = await openPage('#results');
    await page.waitForSelector(`#runs tr[data-run="${race!.id}"]`);
    expect(await page.locator('#runs tr[data-run]').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-run')))).toEqual([faults!.id, race!.id]);
    await page.locator(`#runs tr[data-run="${race!.id}"] a`, { hasText: 'open' }).click();
    const opened = page.locator(`#run-detail .run[data-run="${race!.id}"]`);
    await opened.waitFor();
    const report = race!.report as BenchReport;
    expect(
      await opened
        .locator('tr[data-strategy]')
        .evaluateAll((rows) => rows.map((row) => [row.getAttribute('data-strategy'), row.querySelector('.verdict')!.textContent])),
    ).toEqual(report.results.map((r) => [r.strategy, verdictWithFigure(worstRun(r.runs)!)]));

    for (const id of [race!.id, faults!.id]) await page.check(`#runs input[value="${id}"]`);
    await page.getByRole('button', { name: 'Compare the two ticked' }).click();
    await page.waitForSelector('#run-detail.side-by-side .run:nth-child(2)');
    const boxes = await page.locator('#run-detail .run').evaluateAll((runs) => runs.map((run) => run.getBoundingClientRect().toJSON() as DOMRect));
    expect(boxes).toHaveLength(2);
    expect(boxes[0]!.top).toBe(boxes[1]!.top);
    expect(boxes[0]!.right).toBeLessThanOrEqual(boxes[1]!.left);
    await screenshot(page, 'results-compare-1280x800');

    const [html] = await Promise.all([page.waitForEvent('popup'), page.locator(`#runs tr[data-run="${race!.id}"] a`, { hasText: 'HTML' }).click()]);
    await html.waitForSelector('#bench-report', { state: 'attached' });
    expect(JSON.parse((await html.locator('#bench-report').textContent())!)).toEqual(report);
    await html.close();
    await page.close();
  }, 60_000);

  it('assembles the decision table from the latest runs, each figure linked to its run', async () => {
    const [race, faults] = await saved();
    const page = await openPage('#decision');
    await page.waitForSelector('#decision tr[data-strategy]');
    const unsafe = page.locator('#decision tr[data-strategy=unsafe] a.sourced');
    expect(await unsafe.getAttribute('data-run')).toBe(race!.id);
    expect(await unsafe.locator('.verdict').textContent()).toBe('OVER-ISSUED');
    const recordLock = page.locator('#decision tr[data-strategy=record-lock] td.faults a');
    expect(await recordLock.getAttribute('data-run')).toBe(faults!.id);
    await unsafe.click();
    await page.waitForSelector(`#run-detail .run[data-run="${race!.id}"]`);
    await page.close();
  }, 60_000);

  it("shows every strategy's card, with its steps and links to its source and to docs/strategies.md", async () => {
    const page = await openPage('#strategies');
    const catalog = (await (await fetch(`${consoleApp.url}api/catalog`)).json()) as { strategies: { name: string; card: { steps: string[] } }[] };
    const cards = await page.locator('.card').evaluateAll((elements) =>
      elements.map((card) => ({
        name: card.getAttribute('data-strategy'),
        steps: [...card.querySelectorAll('.steps li')].map((li) => li.textContent),
        links: [...card.querySelectorAll('.links a')].map((a) => a.getAttribute('href')),
      })),
    );
    expect(cards).toEqual(
      catalog.strategies.map((s) => ({ name: s.name, steps: s.card.steps, links: [`/source/${s.name}`, `/docs/strategies.md#${s.name}`] })),
    );
    const source = await fetch(`${consoleApp.url}source/record-lock`);
    expect(await source.text()).toContain("name: 'record-lock'");
    await screenshot(page, 'strategies-1280x800');
    await page.close();
  });

  it.each(['race', 'faults', 'results', 'decision', 'strategies'])(
    'the %s view has no serious accessibility violation, and fits 1280×800 and a phone',
    async (view) => {
      for (const viewport of [DESKTOP, PHONE]) {
        const page = await openPage(`#${view}`, viewport);
        await page.waitForSelector(`#view-${view}:not([hidden]) h2`);
        if (view === 'results' || view === 'decision') await page.waitForSelector(`#view-${view} table`);
        expect(await seriousViolations(page), `${view} at ${viewport.width}×${viewport.height}`).toEqual([]);
        expect(await overflowsSideways(page), `${view} at ${viewport.width}×${viewport.height}`).toBe(false);
        // What the view is for can be reached: its heading and, on the run views, the button that starts a run.
        const button = view === 'race' ? 'Run the race' : view === 'faults' ? 'Inject the fault' : undefined;
        if (button) {
          const box = (await page.getByRole('button', { name: button }).boundingBox())!;
          expect(box.x).toBeGreaterThanOrEqual(0);
          expect(box.x + box.width).toBeLessThanOrEqual(viewport.width);
        }
        if (viewport === PHONE && (view === 'race' || view === 'results')) await screenshot(page, `${view}-phone`);
        await page.close();
      }
    },
    60_000,
  );
});

describe('the console and pages of other sites', () => {
  it('refuses a plain form of another page posting to stop, and a request under a name that is not its own', async () => {
    const page = await browser.newPage({ viewport: DESKTOP });
    await page.setContent(`<form method="post" action="${consoleApp.url}api/stop"><button>Stop their run</button></form>`);
    const [stop] = await Promise.all([page.waitForResponse(`${consoleApp.url}api/stop`), page.getByRole('button').click()]);
    expect(stop.status()).toBe(415);
    await page.close();
    // What a page whose name was pointed at 127.0.0.1 sends: fetch would not let a test choose the Host.
    const { port } = new URL(consoleApp.url);
    const rebound = request({ host: '127.0.0.1', port, path: '/api/runs', headers: { host: `evil.example:${port}` } }).end();
    const [response] = (await once(rebound, 'response')) as [IncomingMessage];
    response.resume();
    expect(response.statusCode).toBe(403);
  });
});

describe('coupon-lab console beyond this machine', () => {
  it('refuses to listen on another address without ADMIN_TOKEN, in one line', async () => {
    const env = { ...process.env, ADMIN_TOKEN: '' }; // unset, whatever this shell has
    const failed = await promisify(execFile)(...cliCommandLine(['console', '--host', '0.0.0.0', '--port', '0']), { env }).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed?.code).toBe(2);
    expect(failed?.stderr.trim().split('\n')).toEqual([
      '--host 0.0.0.0 lets anyone who reaches it start runs on this machine: set ADMIN_TOKEN (the page asks for it), or leave --host at 127.0.0.1',
    ]);
  });
});

describe('the console with ADMIN_TOKEN', () => {
  const guarded = useConsole({ ADMIN_TOKEN: 'console-secret' });

  it('answers no API call nor the live stream without it', async () => {
    for (const path of ['api/catalog', 'api/events', 'api/runs', 'source/lua']) {
      const response = await fetch(`${guarded.url}${path}`);
      expect({ path, status: response.status }).toEqual({ path, status: 401 });
    }
    const wrong = await fetch(`${guarded.url}api/runs`, { headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(403);
  });

  it('asks the page for it, refuses a wrong one, and opens with the right one', async () => {
    const page = await browser.newPage({ viewport: DESKTOP });
    await page.goto(guarded.url);
    const token = page.getByLabel('ADMIN_TOKEN');
    await token.fill('not-it');
    await page.getByRole('button', { name: 'Open the console' }).click();
    await expect.poll(() => page.locator('#token-form [role=alert]').textContent()).toBe('this is not the console’s ADMIN_TOKEN');
    await token.fill('console-secret');
    await page.getByRole('button', { name: 'Open the console' }).click();
    await page.waitForSelector('#race-form');
    // The live stream, which no header can be added to, carries the session the page was given.
    const stream = await page.evaluate(async () => {
      const stop = new AbortController();
      const response = await fetch('/api/events', { signal: stop.signal });
      stop.abort();
      return response.status;
    });
    expect(stream).toBe(200);
    expect(await seriousViolations(page)).toEqual([]);
    await page.close();
  });
});
