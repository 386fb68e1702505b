import type { FaultEvent, FaultRunKey } from '../../bench/faults/events.js';
import type { FaultRun } from '../../bench/faults/report.js';
import { int, ms } from '../../bench/output/format.js';
import type { Answers } from '../../lab-client/tally.js';
import { verdictWithFigure } from '../../lab-client/verdict.js';
import type { Catalog, ConsoleEvent, FaultEntry, FaultRequest } from '../contract.js';
import { countKinds, KINDS, NO_ANSWERS, type Counts } from './answers.js';
import { api } from './api.js';
import { verdictBadge } from './badges.js';
import { lineChart, type Chart } from './charts.js';
import { el, fill } from './dom.js';
import { checkedValues, RunControls, strategyChoices } from './form.js';

/** The faults: pick one and strategies; a timeline per run shows the fault's window, the 503s, the recovery, the verdict. */
export class FaultsView {
  readonly #form: HTMLFormElement;
  readonly #controls = new RunControls('Inject the fault', 'a strategy showed what it may not');
  readonly #select: HTMLSelectElement;
  readonly #what = el('div', { class: 'what', id: 'fault-what' });
  readonly #strategies = el('div');
  readonly #timelines = el('div', { class: 'timelines', id: 'timelines' });
  #rows = new Map<string, Timeline>();
  readonly #unavailable: ReadonlySet<string>;

  constructor(
    section: HTMLElement,
    private readonly catalog: Catalog,
  ) {
    this.#unavailable = new Set(catalog.unavailableCodes);
    this.#select = el(
      'select',
      { name: 'fault', id: 'fault', 'aria-describedby': 'fault-what' },
      ...catalog.faults.map((fault) => el('option', { value: fault.fault }, fault.fault)),
    );
    this.#select.addEventListener('change', () => this.#choose());
    this.#form = el(
      'form',
      { class: 'run-form', id: 'fault-form', 'aria-labelledby': 'faults-title' },
      el('div', { class: 'field' }, el('label', { for: 'fault' }, 'Fault'), this.#select),
      this.#what,
      this.#strategies,
      this.#controls.element,
    );
    this.#controls.submitting(this.#form, () =>
      api.faults({ fault: this.#select.value, strategies: checkedValues(this.#form, 'strategy') as FaultRequest['strategies'] }),
    );
    fill(
      section,
      el('h2', { id: 'faults-title' }, 'Faults'),
      el(
        'p',
        { class: 'intro' },
        'Private Redis and MariaDB instances and two server processes are started for the run; the fault is injected into them while a paced crowd runs, then MySQL is counted. A fault takes tens of seconds per strategy.',
      ),
      this.#form,
      this.#timelines,
    );
    this.#choose();
  }

  setBusy(busy: boolean): void {
    this.#controls.setBusy(busy);
  }

  /** `runKind`: the kind of the run the event belongs to. */
  handle(event: ConsoleEvent, runKind: string | undefined): void {
    if (event.type === 'run-started' && event.kind === 'faults') this.#start(event.request as FaultRequest);
    else if (event.type === 'fault') this.#fault(event.event);
    else if (runKind === 'faults') this.#controls.ended(event);
  }

  #entry(): FaultEntry {
    return this.catalog.faults.find((fault) => fault.fault === this.#select.value)!;
  }

  /** What the chosen fault does, and the strategies it reaches (those holding across processes ticked). */
  #choose(): void {
    const entry = this.#entry();
    fill(this.#what, ...entry.variants.map((variant) => el('p', {}, variant.variant ? el('b', {}, `${variant.variant}: `) : undefined, variant.what)));
    const reached = (name: string) => entry.reaches.includes(name as never);
    const claims = (name: string) => ['lease', 'global'].includes(this.catalog.strategies.find((strategy) => strategy.name === name)!.protection);
    fill(
      this.#strategies,
      strategyChoices(
        'Strategies (greyed: not reached by this fault)',
        this.catalog.strategies,
        (name) => reached(name) && claims(name),
        (name) => !reached(name),
      ),
    );
  }

  #start(request: FaultRequest): void {
    this.#rows = new Map();
    this.#select.value = request.fault;
    fill(this.#timelines);
    this.#controls.say(`Injecting ${request.fault}…`);
  }

  #fault(event: FaultEvent): void {
    if (event.type === 'stage') {
      this.#controls.say(`${event.fault}${event.variant ? ` (${event.variant})` : ''}: ${event.stage}…`);
      return;
    }
    if (event.type === 'run-ended') return this.#rows.get(rowKey(event.run))?.ended(event.run);
    if (event.type === 'run-started') {
      const timeline = new Timeline(event, this.#unavailable);
      this.#rows.set(rowKey(event), timeline);
      this.#timelines.append(timeline.element);
      this.#controls.say(`${label(event)}…`);
      return;
    }
    const timeline = this.#rows.get(rowKey(event));
    if (event.type === 'answers') timeline?.answers(event.answers, event.elapsedMs);
    else timeline?.window(event.fromMs, event.toMs);
  }
}

const rowKey = (key: FaultRunKey) => [key.fault, key.variant ?? '', key.strategy, key.setting ?? ''].join('|');
const label = (key: FaultRunKey) => `${key.strategy}${key.setting ? ` (${key.setting})` : ''} under ${key.fault}${key.variant ? ` (${key.variant})` : ''}`;

/** Shorter than the bench's interval between reports (bench/events.ts), longer than a report's jitter. */
const MIN_INTERVAL_S = 0.06;

/** The kinds a timeline draws per interval: what succeeded, what was told to try again, what failed. */
const DRAWN = KINDS.filter(({ kind }) => kind !== 'already');

/** One strategy under one fault: answers per second by kind over time, the fault's window shaded, the recovery marked. */
class Timeline {
  readonly element: HTMLElement;
  readonly #chart: Chart;
  readonly #outcome = el('div', { class: 'outcome', 'aria-live': 'polite' });
  readonly #points: { t: number; counts: Counts }[] = [];
  #window: { from: number; to: number } | undefined;
  #recoverMs: number | undefined;

  constructor(
    private readonly key: FaultRunKey & { quantity: number },
    private readonly unavailable: ReadonlySet<string>,
  ) {
    this.#chart = lineChart(`Answers per second to ${label(key)}, the fault's window shaded`, DRAWN, 'answers/s');
    this.element = el(
      'article',
      {
        class: 'timeline',
        'data-fault': key.fault,
        'data-strategy': key.strategy,
        'data-variant': key.variant,
        'data-setting': key.setting,
        'data-state': 'running',
      },
      el('header', {}, el('h3', {}, label(key))),
      el('p', { class: 'legend' }, ...DRAWN.map(({ label: name, color }) => el('span', {}, el('i', { class: 'swatch', style: `background:${color}` }), name))),
      this.#chart.element,
      this.#outcome,
    );
  }

  answers(answers: Answers, elapsedMs: number): void {
    this.#points.push({ t: elapsedMs / 1000, counts: countKinds(answers, this.unavailable) });
    this.#draw();
  }

  window(fromMs: number, toMs: number): void {
    this.#window = { from: fromMs / 1000, to: toMs / 1000 };
    this.element.dataset.faultFromMs = String(Math.round(fromMs));
    this.element.dataset.faultToMs = String(Math.round(toMs));
    this.#draw();
  }

  ended(run: FaultRun): void {
    this.element.dataset.state = 'done';
    this.element.dataset.verdict = run.verdict;
    this.#recoverMs = run.recoverMs;
    if (run.faultMs) this.window(run.faultMs.fromMs, run.faultMs.toMs);
    const figures = [
      `MySQL holds ${int(run.rows)} rows for ${int(run.quantity)} places`,
      `${int(run.unavailable)} answered 503`,
      `${int(run.unanswered)} got no answer`,
      run.faultMs ? `fault ${int(run.faultMs.toMs - run.faultMs.fromMs)} ms` : 'no fault window',
      run.recoverMs === undefined ? 'no success after the fault' : `answered yes again ${ms(run.recoverMs)} ms after it`,
    ];
    if (run.internalErrors) figures.push(`${int(run.internalErrors)} × 500`);
    fill(
      this.#outcome,
      verdictBadge(run.verdict, verdictWithFigure(run), run.ok),
      el('span', { class: 'figures' }, figures.join(' · ')),
      ...[run.error, ...run.notes].filter(Boolean).map((note) => el('span', { class: 'muted' }, note)),
    );
    this.#draw();
  }

  /** Answers per second in each interval, from the running totals the bench reports. */
  #draw(): void {
    const points = intervals(this.#points);
    const xs = points.map((point) => point.t);
    const rates = DRAWN.map(({ kind }) =>
      points.map((point, i) => {
        const before = points[i - 1] ?? { t: 0, counts: NO_ANSWERS };
        return (point.counts[kind] - before.counts[kind]) / (point.t - before.t);
      }),
    );
    const recovered = this.#window && this.#recoverMs !== undefined ? [{ at: this.#window.to + this.#recoverMs / 1000, label: 'yes again' }] : [];
    this.#chart.update(xs, rates, { ...(this.#window ? { band: { ...this.#window, label: this.key.fault } } : {}), lines: recovered });
  }
}

/**
 * The totals at the end of each interval. The bench reports once more when the crowd ends, moments
 * after its last tick: that short last interval is joined to the one before, whose rate it would
 * otherwise turn into a spike of a few answers over a few milliseconds.
 */
function intervals(points: readonly { t: number; counts: Counts }[]): { t: number; counts: Counts }[] {
  const kept: { t: number; counts: Counts }[] = [];
  for (const point of points) {
    const last = kept.at(-1);
    if (last && point.t - last.t < MIN_INTERVAL_S) kept[kept.length - 1] = point;
    else kept.push(point);
  }
  return kept;
}
