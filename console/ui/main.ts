import 'uplot/dist/uPlot.min.css';
import './style.css';
import type { Catalog, ConsoleEvent, RunKind } from '../contract.js';
import { api, ApiError, listen } from './api.js';
import { renderCards } from './cards.js';
import { DecisionView } from './decision.js';
import { el, fill } from './dom.js';
import { FaultsView } from './faults.js';
import { RaceView } from './race.js';
import { ResultsView } from './results.js';
import { askForToken } from './token.js';

const VIEWS = ['race', 'faults', 'results', 'decision', 'strategies'] as const;
type View = (typeof VIEWS)[number];

const section = (view: View | 'token') => document.getElementById(`view-${view}`)!;
const activity = document.getElementById('activity')!;

/** The page: the catalog first (or the token, if the console asks for one), then the views and the live stream. */
async function start(): Promise<void> {
  let catalog: Catalog;
  try {
    catalog = await api.catalog();
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) return askForToken(section('token'), error.message);
    fill(activity, el('span', { class: 'error', role: 'alert' }, `The console did not answer: ${(error as Error).message}`));
    return;
  }
  const race = new RaceView(section('race'), catalog);
  const faults = new FaultsView(section('faults'), catalog);
  const results = new ResultsView(section('results'), catalog.runsFolder);
  const decision = new DecisionView(section('decision'));
  renderCards(section('strategies'), catalog);

  let running: { kind: RunKind; startedAt: string } | undefined;
  const showActivity = (connected = true) => {
    const what = running
      ? `${running.kind === 'race' ? 'A race' : 'A fault run'} is running (started ${new Date(running.startedAt).toLocaleTimeString()}).`
      : 'Idle.';
    fill(activity, connected ? what : 'The live stream is lost; reconnecting…');
    race.setBusy(running !== undefined);
    faults.setBusy(running !== undefined);
  };
  const onEvent = (event: ConsoleEvent) => {
    if (event.type === 'run-started') running = { kind: event.kind, startedAt: event.startedAt };
    const kind = running?.kind;
    if (['run-saved', 'run-stopped', 'run-failed'].includes(event.type)) running = undefined;
    race.handle(event, kind);
    faults.handle(event, kind);
    if (event.type === 'run-saved' && currentRoute().view === 'results') void results.show(currentRoute().open);
    showActivity();
  };
  listen(onEvent, showActivity);
  showActivity();

  const route = () => {
    const { view, open } = currentRoute();
    for (const name of VIEWS) section(name).hidden = name !== view;
    for (const link of document.querySelectorAll<HTMLAnchorElement>('nav a')) {
      if (link.hash === `#${view}`) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
    if (view === 'results') void results.show(open);
    if (view === 'decision') void decision.show();
  };
  window.addEventListener('hashchange', route);
  route();
}

/** `#race`, `#results/<id>`, `#compare/<a>/<b>` (results, two runs side by side), …; the race by default. */
function currentRoute(): { view: View; open: string[] } {
  const [name = '', ...ids] = location.hash.slice(1).split('/').map(decodeURIComponent);
  if (name === 'compare') return { view: 'results', open: ids.slice(0, 2) };
  const view = (VIEWS as readonly string[]).includes(name) ? (name as View) : 'race';
  return { view, open: view === 'results' ? ids.slice(0, 1) : [] };
}

void start();
